"""Plans inside the app's own middleware.

Middleware the app adds (``@app.middleware("http")``, CORS, GZip, any ASGI middleware) runs
around every route, so its semantics are kept by running it: the app's middleware stack is
built as FastAPI builds it (server errors, the user's middleware, exception handlers, the exit
stack), with one change — the router at its centre is Apus's routing. The runtime has chosen
the route; the route's own ``matches`` fills the scope as the router would, and the route is
served by FastAPI's ``request_response`` around the injected plan's handler (the dependencies
solved by Apus), or, for a route without one, by its own ASGI app (``handle``). A request the
chosen route does not match goes to the app's real router. Each ``@app.middleware("http")``
layer (``BaseHTTPMiddleware``) is Apus's ``HTTPMiddleware``, with Starlette's semantics (see
``http_middleware``)."""
from .. import _asyncio_host
from .._asgi_host import run_app
from .handler_plan import RouteSelection
from .http_middleware import with_native_layers

PLAN_KEY = "apus.plan"


def build_stack(app):
    """The app's middleware stack around ``dispatch``, and the names of the dispatch functions
    Apus runs in it (``with_native_layers``)."""
    user_middleware, native_dispatch = with_native_layers(app.user_middleware)

    async def dispatch(scope, receive, send):
        plan = scope.pop(PLAN_KEY, None)
        if plan is not None and plan.select(scope):
            await plan.route_app(scope, receive, send)
        else:
            await app.router(scope, receive, send)

    class _Source:
        """The app, but for its router."""

        router = staticmethod(dispatch)

        def __init__(self):
            self.user_middleware = user_middleware

        def __getattr__(self, name):
            return getattr(app, name)

    return type(app).build_middleware_stack(_Source()), native_dispatch


class StackedPlan:
    """A route served inside the app's middleware stack, on the asyncio thread."""

    runs_async = True
    kind = "stacked"

    def __init__(self, runner, stack, top_route, context=None, inner=None):
        """``inner``: the ASGI app that serves the route inside the stack (FastAPI's
        ``request_response`` around an injected plan's handler); None: the route's own."""
        self.runner = runner
        self.stack = stack
        self.top_route = top_route
        self.context = context
        self.selection = RouteSelection(top_route, context)
        self.inner = inner

    def start(self, request_parts, body, native):
        cycle = self.runner.new_cycle(request_parts, body, native, stacked=True)
        cycle.scope[PLAN_KEY] = self
        _asyncio_host.start(run_app(self.stack, cycle))
        return cycle

    def select(self, scope):
        """Fills the scope as the app's router would for this route; False if it does not match."""
        return self.selection.fill(scope)

    async def route_app(self, scope, receive, send):
        if self.inner is not None:
            # The runtime's table matched the method too: nothing of the route's own `handle`
            # (its 405) is left to do.
            await self.inner(scope, receive, send)
            return
        route = self.context.original_route if self.context is not None else self.top_route
        await route.handle(scope, receive, send)
