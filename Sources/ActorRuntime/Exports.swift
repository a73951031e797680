// Programs that embed the runtime see the loop, the HTTP server, the server wiring, the
// interpreter's public face (`Python.withGIL`, `PyObjectRef`), the ASGI bridge and the plans
// through this one module.
@_exported public import ApusASGI
@_exported public import ApusHTTP
@_exported public import ApusLoop
@_exported public import ApusPython
@_exported public import ApusPlans
@_exported public import ApusServer
