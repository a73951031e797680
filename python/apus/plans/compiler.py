"""Compiling an app's routes into plans, once, after lifespan startup.

Every route of the app, in declaration order, becomes a ``RouteEntry`` for the runtime's route
table, so the first matching route still wins:
- a FastAPI route with only path/query/header/cookie parameters and a JSON body: a
  ``DirectPlan`` (Apus executes every step);
- a FastAPI route with dependencies, special parameters (``Request``, ``Response``,
  ``BackgroundTasks``, ``SecurityScopes``) or in an included router: an ``InjectedPlan`` (Apus
  executes the route's dependency tree, compiled once; see ``injection``);
- any other FastAPI route: a ``HandlerPlan`` (FastAPI's compiled request handler for the route,
  run without the middleware stack and router), with the reason it is not injected;
- a plain Starlette route with a function endpoint (``/openapi.json``, ``/docs``): an
  ``EndpointPlan``;
- a functions tree's routes (``apus.functions``): a Python event handler's ``FunctionPlan``, or
  a ``worker`` row for a function the runtime's worker pools serve;
- everything else runs through the app as ASGI, with the reason: a mount (its prefix), a route
  whose path the table cannot express (it stands for any path at its place in the order), an
  app whose settings a plan would skip (every route).
An app's middleware is run by the runtime when it is Starlette's CORS, GZip, TrustedHost or
HTTPS-redirect (see ``native_middleware``); any other keeps the app's stack: its plans become
``StackedPlan``s, served by the route inside the app's middleware stack (see ``stacked``)."""
import inspect
import os
import re

from fastapi import FastAPI, params
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from . import native_middleware, support
from .direct_plan import DirectPlan
from .runner import Runner
from .handler_plan import EndpointPlan, HandlerPlan
from .rows import ANY_PATH, CompiledApp, RouteEntry, not_a_fastapi_app
from .stacked import StackedPlan, build_stack

# What serves a stacked route inside the app's middleware, when no injected plan does (its label).
_STACKED_CENTRES = {HandlerPlan.kind: "FastAPI's handler", EndpointPlan.kind: "the route's endpoint"}
INJECTED = "injected"  # InjectedPlan.kind, named here so that an app without dependencies imports none of it
_SEGMENT_PARAMETER = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)(?::(str|int|float|uuid|path))?\}$")
_SPECIAL_PARAMETERS = ("request_param_name", "websocket_param_name", "http_connection_param_name",
                       "response_param_name", "background_tasks_param_name", "security_scopes_param_name")


def compile_app(app, server, run_on_executor=None):
    """The app's routes, compiled (``apus.plans.compile_app`` calls this once FastAPI is
    imported)."""
    reason = app_reason(app)
    if reason is not None:
        return CompiledApp([RouteEntry(None, ANY_PATH, "asgi", reason=reason)], None)
    runner = Runner(app, server, run_on_executor)
    direct = DeferredDirectPlans(runner)
    entries = []
    for route in app.router.routes:
        if support.IncludedRouter is not None and isinstance(route, support.IncludedRouter):
            for context in route.effective_route_contexts():
                entries.append(_context_entry(runner, route, context))
        else:
            entries.extend(_route_entries(runner, direct, route))
    layers, middleware = native_middleware.describe(app)
    if middleware is None:
        differences = os.environ.get("APUS_DIFFERENTIAL")
        if differences:
            _compare_with_fastapi(entries, runner, differences)
        return CompiledApp(entries, runner.redirect_slash if app.router.redirect_slashes else None, layers)
    # Every plan runs inside the app's middleware (see stacked); the app's router answers the rest.
    stack, native_dispatch = build_stack(app)
    if native_dispatch:
        middleware += f"; Apus runs the dispatch of {', '.join(native_dispatch)}"
    for entry in entries:
        plan = entry.built_plan()
        if plan is not None and hasattr(plan, "top_route"):
            context = getattr(plan, "context", None)
            inner = _injected_app(runner, plan)
            entry.plan = StackedPlan(runner, stack, plan.top_route, context, inner=inner)
            entry.kind = "stacked"
            centre = "an injected plan" if inner is not None else _STACKED_CENTRES.get(plan.kind, "its own handler")
            entry.reason = f"{middleware}, around {centre}"
            entry.runs_async = True
    return CompiledApp(entries, None)


def _injected_app(runner, plan):
    """The ASGI app FastAPI would make of the route's handler, with the injected plan's handler
    in its place (a direct plan's route gets one too: a route without dependencies is a tree of
    one step); None for a route FastAPI's own handler serves."""
    from .injected_plan import InjectedPlan
    from .injection import NotInjectable

    if plan.kind == DirectPlan.kind:
        try:
            plan = InjectedPlan(runner, plan.top_route)
        except NotInjectable:
            return None
    if plan.kind != INJECTED:
        return None
    handler = plan.request_handler if isinstance(plan, InjectedPlan) else plan.handler
    return support.request_response(handler)


def _compare_with_fastapi(entries, runner, out):
    """The differential check: every direct and injected plan, built now, answers alongside
    FastAPI's own handler (see ``differential``)."""
    from . import differential

    for entry in entries:
        if entry.kind in (DirectPlan.kind, INJECTED):
            plan = entry.built_plan()
            entry.plan = differential.DifferentialPlan(plan, runner, plan.top_route, getattr(plan, "context", None),
                                                       entry.path, out)


def app_reason(app):
    """Why no route of ``app`` can have a plan, or None."""
    if not isinstance(app, FastAPI):
        return not_a_fastapi_app(app)
    if not support.SUPPORTED:
        return f"FastAPI {'.'.join(map(str, support.FASTAPI_VERSION))} is outside the supported range 0.115-0.165"
    for method in ("__call__", "build_middleware_stack"):
        if getattr(type(app), method) is not getattr(FastAPI, method):
            return f"the app class {type(app).__qualname__} overrides {method}"
    if getattr(app, "root_path", ""):
        return "the app sets root_path"
    telemetry = getattr(app, "_native_telemetry", None)
    if telemetry is not None and telemetry.enabled():
        return "FastAPI telemetry is enabled"
    return None


def _route_entries(runner, direct, route):
    """``direct``: the app's ``DeferredDirectPlans``."""
    if isinstance(route, WebSocketRoute) or type(route).__name__ == "APIWebSocketRoute":
        # Listed only: the runtime sends every handshake to the app, which routes it.
        return [RouteEntry(["WEBSOCKET"], route.path, "websocket", reason="through the app (its router, middleware and dependencies)",
                           where=_where(route.endpoint), name=route.name)]
    if isinstance(route, Mount):
        prefix = route.path.rstrip("/")
        reason = f"mount {route.path or '/'} (the mounted app routes itself)"
        if not prefix or not table_path(prefix):
            return [RouteEntry(None, ANY_PATH, "asgi", reason=reason)]
        return [RouteEntry(None, prefix, "asgi", reason=reason),
                RouteEntry(None, prefix + "/{path:path}", "asgi", reason=reason)]
    if isinstance(route, APIRoute):
        function = getattr(route, "apus_function", None)
        if function is not None:  # a functions tree's Python event handler
            return [RouteEntry(route.methods, route.path, function.kind, plan=function, where=function.function.file,
                               name=route.name, timeout_ms=function.function.config.timeout_ms)]
        worker = getattr(route, "apus_worker", None)
        if worker is not None:  # a functions tree's function in another language
            return [RouteEntry(route.methods, route.path, "worker", where=worker, name=route.name, worker=worker)]
        return [_api_route_entry(runner, direct, route)]
    if isinstance(route, Route):
        path = table_path(route.path)
        where = _where(route.endpoint)
        if path is None:
            return [RouteEntry(None, ANY_PATH, "asgi", reason=f"path {route.path} is beyond the route table", where=where)]
        if not (inspect.isfunction(route.endpoint) or inspect.ismethod(route.endpoint)):
            return [RouteEntry(route.methods, path, "asgi", reason="a class endpoint", where=where, name=route.name)]
        if type(route).matches is not Route.matches or type(route).handle is not Route.handle:
            return [RouteEntry(route.methods, path, "asgi", reason=f"custom route class {type(route).__name__}", where=where)]
        return [RouteEntry(route.methods, path, "endpoint", plan=EndpointPlan(runner, route), where=where, name=route.name)]
    reason = f"{type(route).__name__} routes are matched by the app"
    return [RouteEntry(None, ANY_PATH, "asgi", reason=reason)]


def _api_route_entry(runner, direct, route):
    where = _where(route.endpoint)
    path = table_path(route.path)
    if path is None:
        return RouteEntry(None, ANY_PATH, "asgi", reason=f"path {route.path} is beyond the route table", where=where)
    for method in ("matches", "handle"):
        if getattr(type(route), method) is not getattr(APIRoute, method):
            return RouteEntry(route.methods, path, "asgi", reason=f"{type(route).__name__} overrides {method}",
                              where=where, name=route.name)
    if direct_reason(route) is None:
        # The costly plan (its parameters and serialization, compiled): built on first use.
        return RouteEntry(route.methods, path, DirectPlan.kind, factory=direct.build, argument=direct.add(route),
                          runs_async=support.is_async_callable(route.dependant.call), where=where, name=route.name)
    plan, reason = _injected_or_handler(runner, route, None)
    return RouteEntry(route.methods, path, plan.kind, plan=plan, reason=reason, where=where, name=route.name)


def _injected_or_handler(runner, top_route, context):
    """The route's ``InjectedPlan``, or FastAPI's handler with the reason it cannot be one. A
    route class with its own ``get_route_handler`` that wraps ``super().get_route_handler()``
    gets its wrapper around the injected plan's handler (see ``custom_route``)."""
    # Imported for the first route that has dependencies: an app without any loads none of it.
    from . import custom_route
    from .injected_plan import InjectedPlan
    from .injection import NotInjectable

    original = context.original_route if context is not None else top_route
    reason = injection_reason(original, context)
    if reason is None:
        try:
            plan = InjectedPlan(runner, top_route, context)
        except NotInjectable as refusal:
            reason = str(refusal)
        else:
            if not custom_route.has_own_handler(original):
                return plan, None
            handler, wrapped = custom_route.handler_around(top_route, context, plan.request_handler)
            if wrapped:
                return HandlerPlan(runner, top_route, context, handler=handler, kind=InjectedPlan.kind), None
            return HandlerPlan(runner, top_route, context, handler=handler), \
                f"{type(original).__name__} replaces the request handler"
    return HandlerPlan(runner, top_route, context), reason


def injection_reason(route, context=None):
    """Why a FastAPI route (or an included router's route context) keeps FastAPI's request
    handler rather than an injected plan, or None."""
    from .injection import route_reason

    call = (context or route).dependant.call
    if not (inspect.isfunction(call) or inspect.ismethod(call)):
        return "a callable object endpoint"
    return route_reason(context or route)


class DeferredDirectPlans:
    """The direct plans of an app's routes, each built on its route's first request: a row
    names the route by its index here, so that the runtime keeps one reference for the whole
    app (to ``build``) rather than one per route."""

    __slots__ = ("_runner", "_routes", "build")

    def __init__(self, runner):
        self._runner = runner
        self._routes = []
        # One bound method, so that every row names the same factory.
        self.build = self._build

    def add(self, route):
        """The index that ``build`` takes for ``route``."""
        self._routes.append(route)
        return len(self._routes) - 1

    def _build(self, index):
        return DirectPlan(self._runner, self._routes[index])


def _context_entry(runner, top_route, context):
    original = context.original_route
    path = table_path(context.path or "")
    where = _where(getattr(original, "endpoint", None))
    if not isinstance(original, APIRoute) or context.starlette_route is not None:
        reason = f"{type(original).__name__} in an included router"
        return RouteEntry(None, ANY_PATH if path is None else path, "asgi", reason=reason, where=where)
    if path is None:
        return RouteEntry(None, ANY_PATH, "asgi", reason=f"path {context.path} is beyond the route table", where=where)
    for method in ("matches", "handle"):
        if getattr(type(original), method) is not getattr(APIRoute, method):
            return RouteEntry(context.methods, path, "asgi", reason=f"{type(original).__name__} overrides {method}",
                              where=where)
    plan, reason = _injected_or_handler(runner, top_route, context)
    return RouteEntry(context.methods, path, plan.kind, plan=plan, reason=reason, where=where, name=context.name)


def direct_reason(route):
    """Why a FastAPI route needs its full handler rather than a direct plan, or None."""
    if type(route).get_route_handler is not APIRoute.get_route_handler:
        return "a custom request handler"
    dependant = route.dependant
    if dependant.dependencies:
        return "dependencies"
    if any(getattr(dependant, name, None) for name in _SPECIAL_PARAMETERS):
        return "Request, Response, BackgroundTasks or SecurityScopes parameters"
    if route.body_field is not None and isinstance(route.body_field.field_info, params.Form):
        return "a form body"
    if getattr(route, "is_json_stream", False) or getattr(route, "is_sse_stream", False):
        return "a streaming endpoint"
    call = dependant.call
    if inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call):
        return "a generator endpoint"
    if not (inspect.isfunction(call) or inspect.ismethod(call)):
        return "a callable object endpoint"
    return None


def table_path(path):
    """``path`` in the route table's syntax (Starlette's, whole-segment parameters with the
    built-in convertors), or None when the table cannot express it."""
    if not path.startswith("/"):
        return None
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        if "{" not in segment and "}" not in segment:
            continue
        match = _SEGMENT_PARAMETER.match(segment)
        if match is None:
            return None
        if match.group(2) == "path" and index != len(segments) - 1:
            return None
    return path


def _where(endpoint):
    """``file:line`` of an endpoint. A function's code object knows both (``getsourcelines``
    would re-read and re-scan the file for each route: quadratic in a file of many routes)."""
    try:
        target = inspect.unwrap(endpoint)
        code = getattr(target, "__code__", None)
        if code is not None:
            return f"{code.co_filename}:{code.co_firstlineno}"
        return f"{inspect.getsourcefile(target)}:{inspect.getsourcelines(target)[1]}"
    except (TypeError, OSError):
        return getattr(endpoint, "__qualname__", repr(endpoint))


__all__ = ["CompiledApp", "RouteEntry", "compile_app", "app_reason", "direct_reason", "table_path", "BaseRoute"]
