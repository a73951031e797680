// Programs that embed the runtime see the loop and the HTTP server through this one module.
@_exported public import ApusHTTP
@_exported public import ApusLoop
