"""The rows the runtime reads from the plan compiler: light, so that an app that is not a
FastAPI app gets its one row without FastAPI being imported for it."""

ANY_PATH = "/{path:path}"
# The shape of what the runtime reads (CompiledApp, RouteEntry, the plans' entry points); the
# runtime refuses any other.
PLAN_FORMAT = 8


class RouteEntry:
    """One row of the runtime's route table. ``methods`` None: any method. ``worker``: the key
    of a function the runtime's worker pools serve (kind ``worker``, no plan). ``factory``:
    instead of ``plan``, what builds it, called with ``argument`` (an int: the route's index
    in the factory's own list) on the route's first request, so that an app of many routes
    pays at start-up and in memory only for the routes it serves (``runs_async`` is then
    given). One factory serves all the routes of an app: a row leaves nothing of its own
    behind once the runtime has read it."""

    __slots__ = ("methods", "path", "kind", "plan", "factory", "argument", "reason", "where", "runs_async", "name",
                 "worker", "timeout_ms")

    def __init__(self, methods, path, kind, plan=None, reason=None, where="", name="", worker=None, timeout_ms=None,
                 factory=None, argument=None, runs_async=False):
        self.methods = sorted(methods) if methods is not None else None
        self.path = path
        self.kind = kind
        self.plan = plan
        self.factory = factory
        self.argument = argument
        self.reason = reason
        self.where = where
        self.name = name
        self.worker = worker
        # A functions tree's Python function: the runtime answers 504 past this.
        self.timeout_ms = timeout_ms
        self.runs_async = bool(plan.runs_async) if plan is not None else bool(factory is not None and runs_async)

    @property
    def native(self):
        return self.plan is not None or self.factory is not None or self.worker is not None

    def built_plan(self):
        """The plan, built now if it was left to the runtime."""
        if self.plan is None and self.factory is not None:
            self.plan, self.factory, self.argument = self.factory(self.argument), None, None
        return self.plan

    def __repr__(self):
        how = self.kind if self.native else f"asgi: {self.reason}"
        return f"RouteEntry({self.methods}, {self.path!r}, {how})"


def not_a_fastapi_app(app):
    """The reason every request of an app that is not a FastAPI app goes through it."""
    return f"not a FastAPI app ({type(app).__module__}.{type(app).__qualname__})"


class CompiledApp:
    """``entries``: the route table's rows, in declaration order. ``redirect``: the router's
    ``redirect_slashes`` answer, for a path no route matches whose other spelling (with or
    without the trailing slash) does; None when the app does not redirect. ``middleware``: the
    app's middleware the runtime runs around plans (``native_middleware.MiddlewareSpec``s,
    outermost first)."""

    __slots__ = ("format", "entries", "redirect", "middleware")

    def __init__(self, entries, redirect, middleware=()):
        self.format = PLAN_FORMAT
        self.entries = entries
        self.redirect = redirect
        self.middleware = list(middleware)
