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
