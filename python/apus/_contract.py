"""What the runtime and this package hand each other, by name.

The runtime calls a plan's ``run``/``start`` and the ASGI ``Server.handle`` with a
``RequestParts`` (a named tuple the runtime makes; its fields are ``REQUEST_PARTS_FIELDS``, which
the runtime checks against its own when it starts, and the type is set here then), the request's
body so far, and ``native``: the function that takes the answer's messages, described in
``_asgi_host``. ``_apus.pyi`` describes the native module."""
import collections

REQUEST_PARTS_FIELDS = ("method", "http_version", "path", "raw_path", "query_string", "headers", "client", "server",
                        "path_params", "more_body", "tls")

# The same fields in plain Python, for code that builds a request's parts itself (tests, tools);
# the runtime's own type replaces it when the runtime starts.
RequestParts = collections.namedtuple("RequestParts", REQUEST_PARTS_FIELDS)


# The messages of an answer from Python to the runtime (``native``), one named tuple type per
# kind: the runtime tells them apart by their type and reads their fields by position, after
# checking, when it starts, that each type's ``_fields`` are the ones it reads (RESPONSE_MESSAGES).
# ``_asgi_host`` says what each means.
Body = collections.namedtuple("Body", ("status", "headers", "body", "more", "waiter"))
# A plan's server-error answer, made outside the app's middleware: the middleware the runtime
# runs itself leaves it alone.
OuterBody = collections.namedtuple("OuterBody", Body._fields)
More = collections.namedtuple("More", ("body", "more", "waiter"))
# A whole response whose body is a file the runtime reads and sends itself (ASGI's
# ``http.response.pathsend``): Python never reads it.
File = collections.namedtuple("File", ("status", "headers", "path"))
Error = collections.namedtuple("Error", ("exception", "traceback", "answered"))
Abort = collections.namedtuple("Abort", ("reason",))
Read = collections.namedtuple("Read", ("waiter",))
WebSocketAccept = collections.namedtuple("WebSocketAccept", ("subprotocol", "headers"))
WebSocketSend = collections.namedtuple("WebSocketSend", ("data",))
WebSocketClose = collections.namedtuple("WebSocketClose", ("code", "reason"))
WebSocketConsumed = collections.namedtuple("WebSocketConsumed", ("count",))
RESPONSE_MESSAGES = (Body, OuterBody, More, File, Error, Abort, Read, WebSocketAccept, WebSocketSend, WebSocketClose,
                     WebSocketConsumed)

# A message made the quickest way, for the paths every request takes (a named tuple's own
# constructor is a Python function, twice the cost): ``new(Body, (status, headers, body, more,
# waiter))``.
new = tuple.__new__
