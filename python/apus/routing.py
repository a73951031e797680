"""Routes: a path, methods, an endpoint and the plan built from it at declaration."""
from ._plan import RoutePlan
from .responses import JSONResponse


class APIRoute:
    __slots__ = ("path", "methods", "endpoint", "name", "status_code", "response_class", "plan")

    def __init__(self, path, endpoint, *, methods, status_code=None, response_model=None,
                 response_class=None, name=None):
        if not path.startswith("/"):
            raise ValueError(f"route paths must start with '/': {path!r}")
        self.path = path
        self.endpoint = endpoint
        self.name = name or getattr(endpoint, "__name__", "endpoint")
        self.methods = [m.upper() for m in methods]
        self.status_code = status_code
        self.response_class = response_class or JSONResponse
        custom = None if self.response_class is JSONResponse else self.response_class
        self.plan = RoutePlan(endpoint, path, status_code=status_code, response_model=response_model,
                              response_class=custom)

    def __repr__(self):
        return f"APIRoute(path={self.path!r}, methods={self.methods!r}, name={self.name!r})"
