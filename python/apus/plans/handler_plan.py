"""Plans that run a route's own request handler, built once from the route.

``HandlerPlan`` (a FastAPI route): the request handler FastAPI compiles for the route
(``get_route_handler()``: body, dependencies with their cache, overrides and ``yield``
cleanup, validation, serialization, for the installed FastAPI), run with the exit stacks FastAPI
expects and the app's exception handlers, without the app's middleware stack and router. The
runtime has already chosen the route; the route's own ``matches`` fills the scope as FastAPI's
router would (converted path parameters, the route, an included router's context).

``EndpointPlan`` (a plain Starlette ``Route`` with a function endpoint, such as FastAPI's own
``/openapi.json`` and ``/docs``): the endpoint called with a ``Request``, as Starlette's
``request_response`` calls it.

Both run on the runtime's asyncio thread."""
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Match

from .. import _asyncio_host
from .._asgi_host import run_app
from . import support
from .runner import run_with_stacks


class HandlerPlan:
    kind = "fastapi-handler"
    runs_async = True

    def __init__(self, runner, top_route, context=None, handler=None, kind=None):
        """``handler``: the route's handler when it is not the route's own (a custom route
        class's wrapper around an injected plan's handler, whose ``kind`` it then has)."""
        self.runner = runner
        self.top_route = top_route
        self.context = context
        self.selection = RouteSelection(top_route, context)
        self.handler = handler if handler is not None else route_handler(top_route, context)
        if kind is not None:
            self.kind = kind

    def start(self, request_parts, body, native):
        cycle = self.runner.new_cycle(request_parts, body, native)
        _asyncio_host.start(self.serve(cycle, body))
        return cycle

    async def serve(self, cycle, body):
        """The request, to its end (cleanup and background tasks included)."""
        scope = cycle.scope
        try:
            matched = self._select(scope)
        except BaseException as exc:  # noqa: BLE001
            self.runner.report(cycle, exc)
            cycle.close()
            return
        try:
            if not matched:
                # The runtime's table and the route disagree: the app decides.
                await run_app(self.runner.app, cycle)
                return
            request = Request(scope, cycle.receive, cycle.send)
            request._body = body
            await run_with_stacks(self.runner, cycle, request, self.handler)
        finally:
            cycle.close()

    def _select(self, scope):
        return self.selection.fill(scope)


class EndpointPlan(HandlerPlan):
    kind = "endpoint"

    def __init__(self, runner, route):
        endpoint = route.endpoint
        if support.is_async_callable(endpoint):
            handler = endpoint
        else:
            async def handler(request):
                return await run_in_threadpool(endpoint, request)
        self.runner = runner
        self.top_route = route
        self.context = None
        self.selection = RouteSelection(route, None)
        self.handler = handler


class RouteSelection:
    """How a plan fills the scope as FastAPI's router does for its route (``select_route``).
    A route whose path has no parameters, outside an included router's context, matches every
    request the runtime sends it the same way: its ``matches`` is asked once, and its answer
    (the endpoint, no path parameters, the route) is copied into each request's scope. Only
    the class's own ``matches`` (FastAPI's or Starlette's) is trusted to be that constant."""

    __slots__ = ("top_route", "context", "fixed")

    def __init__(self, top_route, context):
        self.top_route = top_route
        self.context = context
        self.fixed = _constant_match(top_route) if context is None else None

    def fill(self, scope):
        """True with the scope filled; False if the route does not match after all."""
        fixed = self.fixed
        if fixed is not None and not scope["root_path"]:
            scope.update(fixed)
            scope["path_params"] = {}
            return True
        return select_route(scope, self.top_route, self.context)


_CONSTANT_KEYS = frozenset(("endpoint", "path_params", "route"))


def _constant_match(route):
    """The child scope ``route.matches`` gives every request of a parameterless path, or None."""
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    if type(route).matches not in (APIRoute.matches, Route.matches) or route.param_convertors:
        return None
    methods = getattr(route, "methods", None)
    if not methods:
        return None
    match, child_scope = route.matches({"type": "http", "path": route.path, "root_path": "", "method": min(methods)})
    if match != Match.FULL or not set(child_scope) <= _CONSTANT_KEYS or child_scope.get("path_params"):
        return None
    fixed = dict(child_scope)
    fixed.pop("path_params", None)
    return fixed


def select_route(scope, top_route, context):
    """Fills the scope as FastAPI's router does for this route (and, on FastAPI 0.137+, the
    included router's context); False if the route does not match after all."""
    match, child_scope = top_route.matches(scope)
    if match != Match.FULL:
        return False
    _update(scope, child_scope)
    if context is not None:
        match, child_scope = context.matches(scope)
        if match != Match.FULL:
            return False
        _update(scope, child_scope)
        fastapi_scope = support.get_fastapi_scope(scope)
        fastapi_scope[support.EFFECTIVE_CONTEXT_KEY] = context
        fastapi_scope[support.INCLUDED_ROUTER_KEY] = top_route
        scope["route"] = context.original_route
    return True


def _update(scope, child_scope):
    if support.update_scope is not None:
        support.update_scope(scope, child_scope)
    else:
        scope.update(child_scope)


def route_handler(top_route, context):
    """What the route's ``get_route_handler()`` returns (with an included router's context
    current, as FastAPI builds it for an included route)."""
    if context is None:
        return top_route.get_route_handler()
    token = support.effective_route_context_var.set(context)
    try:
        return context.original_route.get_route_handler()
    finally:
        support.effective_route_context_var.reset(token)
