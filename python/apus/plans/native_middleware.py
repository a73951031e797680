"""The app middleware Apus runs itself, around planned routes, without the ASGI stack.

Starlette's ``CORSMiddleware``, ``GZipMiddleware``, ``TrustedHostMiddleware`` and
``HTTPSRedirectMiddleware`` (the classes themselves, not subclasses) are rules about headers and
bodies: the runtime applies them (``ApusMiddleware`` in Swift), configured from the very
instances Starlette builds from the app's options. A request any of them would answer itself (a
CORS preflight, an untrusted host, a redirect to https) is served by the app's own stack
instead, so those answers stay Starlette's. The rules were written from, and are checked
against, the Starlette versions in ``VERIFIED_STARLETTE``; with any other version, or any other
middleware, the app's middleware stack runs around the plans (``stacked``)."""
import starlette

VERIFIED_STARLETTE = ((1, 10),)
STARLETTE_VERSION = tuple(int(part) for part in starlette.__version__.split(".")[:2] if part.isdigit())


class MiddlewareSpec:
    """One layer, as the runtime reads it (``kind``: cors, gzip, trusted_host, https_redirect)."""

    __slots__ = ("kind", "name", "allow_all_origins", "allow_origins", "allow_credentials", "simple_headers",
                 "minimum_size", "compress_level", "exclude_content_types", "allowed_hosts", "allow_any")

    def __init__(self, kind, name, **fields):
        self.kind = kind
        self.name = name
        self.allow_all_origins = False
        self.allow_origins = []
        self.allow_credentials = False
        self.simple_headers = []
        self.minimum_size = 0
        self.compress_level = 0
        self.exclude_content_types = []
        self.allowed_hosts = []
        self.allow_any = False
        for key, value in fields.items():
            setattr(self, key, value)

    def __repr__(self):
        return f"MiddlewareSpec({self.kind})"


def describe(app):
    """``(layers, None)``: the app's middleware as layers for the runtime, outermost first (empty
    without middleware); or ``(None, reason)``: why its middleware stack must run instead."""
    if getattr(app, "max_body_size", None) is not None:
        return None, "max_body_size"
    if not app.user_middleware:
        return [], None
    names = ", ".join(getattr(m.cls, "__name__", repr(m.cls)) for m in app.user_middleware)
    if STARLETTE_VERSION not in VERIFIED_STARLETTE:
        return None, f"middleware {names} (Starlette {starlette.__version__} is not one Apus runs natively)"
    layers = []
    for middleware in app.user_middleware:
        layer = _layer(middleware)
        if isinstance(layer, str):
            return None, f"middleware {names} ({layer})"
        layers.append(layer)
    return layers, None


def _layer(middleware):
    """A ``MiddlewareSpec``, or why the middleware cannot be one."""
    # Imported here, not with this module: an app without middleware does not load them.
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    cls = middleware.cls
    name = getattr(cls, "__name__", repr(cls))
    if cls not in (CORSMiddleware, GZipMiddleware, TrustedHostMiddleware, HTTPSRedirectMiddleware):
        return f"{name} runs as ASGI"
    try:
        instance = cls(None, *middleware.args, **middleware.kwargs)
    except Exception as error:  # noqa: BLE001 - the app's own stack will raise it as it does
        return f"{name} cannot be built: {error}"
    if cls is CORSMiddleware:
        if instance.allow_origin_regex is not None:
            return "CORSMiddleware with allow_origin_regex runs as ASGI"
        return MiddlewareSpec(
            "cors", name, allow_all_origins=bool(instance.allow_all_origins),
            allow_origins=[str(origin) for origin in instance.allow_origins],
            allow_credentials=bool(instance.allow_credentials),
            simple_headers=[(str(key), str(value)) for key, value in instance.simple_headers.items()])
    if cls is GZipMiddleware:
        return MiddlewareSpec(
            "gzip", name, minimum_size=int(instance.minimum_size), compress_level=int(instance.compresslevel),
            exclude_content_types=[str(kind) for kind in instance.exclude_content_types])
    if cls is TrustedHostMiddleware:
        return MiddlewareSpec("trusted_host", name, allowed_hosts=[str(host) for host in instance.allowed_hosts],
                              allow_any=bool(instance.allow_any))
    return MiddlewareSpec("https_redirect", name)
