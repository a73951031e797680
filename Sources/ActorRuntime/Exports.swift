// Programs that embed the runtime see the loop, the HTTP server and the server wiring through
// this one module.
@_exported public import ApusHTTP
@_exported public import ApusLoop
@_exported public import ApusServer
