"""A functions tree as a FastAPI app: one route per function, method and path, in FastFN's
precedence order (most specific first, so the first match wins), then the answers FastFN gives
where no function does: 409 for a conflict, 405 with ``Allow`` for a method no file has, 404.

Routes carry what the plan compiler needs: ``apus_function`` (a Python event handler's plan) or
``apus_worker`` (the key of a function in another language, served by the runtime's worker
pools). Typed Python handlers are plain FastAPI routes."""
import importlib
import json
import logging
import os
import re
import sys

from .._contract import Error
from . import dependencies
from . import event as events
from . import rollouts, schedules
from .assets import Assets
from .config import ConfigError, MissingFastAPI
from .discovery import discover, sort_key
from .plain import PlainApp
from .python_function import EventCall, FunctionPlan, LoadError, find_handler, is_event_handler, load_module
from .toolkit import Answer, FastAPI, JSONAnswer, RedirectAnswer, RequestType, Route, run_in_threadpool

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
logger = logging.getLogger("apus.functions")


class Function:
    """One function of the tree (one file), as its routes and its handler's context see it."""

    def __init__(self, spec, development=False):
        self.name = spec.name
        # A failure's answer says what failed (``apus dev``), or only that something did.
        self.development = development
        self.runtime = spec.runtime
        self.file = spec.file
        self.folder = spec.folder
        self.relative_file = spec.relative_file
        self.config = spec.config
        self.env = spec.env
        self.secrets = spec.secrets
        self.max_body_bytes = spec.config.max_body_bytes
        self.context = {"function_name": spec.name, "runtime": spec.runtime, "version": spec.version,
                        **spec.config.context()}

    def worker_settings(self):
        """What the runtime's pool for this function reads."""
        return {
            "key": self.relative_file,
            "name": self.name,
            "runtime": self.runtime,
            "file": self.file,
            "folder": self.folder,
            "handler": self.config.handler,
            "context": self.context,
            "env": self.env,
            "secrets": sorted(self.secrets),
        }


class FunctionsApp:
    """What the runtime serves for a tree: ``app``, the functions its worker pools serve
    (``workers``), and what went wrong (``conflicts``, ``errors`` of files that did not load,
    ``warnings``), and the ``schedules`` the runtime runs (``schedules.plan``)."""

    def __init__(self, root, app, routes, workers, conflicts, errors, warnings, loaded, development=False, schedules=(),
                 catalog=(), rollouts=()):
        self.root = root
        self.rollouts = list(rollouts)
        self.schedules = list(schedules)
        # Every function (file), its routes, settings and env: the admin API's catalog.
        self.catalog = list(catalog)
        self.development = development
        self.routes = routes
        self.app = app
        self.workers = workers
        self.conflicts = conflicts
        self.errors = errors
        self.warnings = warnings
        # Python handlers by file, kept by the next load of the tree for files that fail then.
        self.loaded = loaded

    def manifest(self):
        """What the runtime reads (``FunctionsManifest`` in Swift), as JSON."""
        return json.dumps({
            "routes": self.routes,
            "workers": [function.worker_settings() for function in self.workers],
            "conflicts": [str(conflict) for conflict in self.conflicts],
            "errors": self.errors,
            "warnings": self.warnings,
            "schedules": self.schedules,
            "functions": self.catalog,
            "rollouts": self.rollouts,
        })


def load(directory, previous=None, app=None, development=False):
    """Discovers the tree at ``directory`` and builds its app. ``previous`` (the last
    ``FunctionsApp`` of the same tree): a Python function that no longer loads keeps its
    previous version. ``app``: an app of the user's to add the functions to, after its own
    routes (which win). ``development`` (``apus dev``): a failing function's answer says what
    failed; otherwise it says only that something did, and the log has the rest."""
    # No .pyc files in the user's tree (and none to go stale under a reload: a cached helper
    # module edited within the same second, at the same size, would pass the cache's check).
    sys.dont_write_bytecode = True
    if previous is not None:
        development = previous.development
    return build_app(discover(directory), previous, app, development)


def reload(directory, previous):
    """Loads the tree again after a change: every module from inside it (functions and their
    helpers) is imported afresh; a Python function that no longer loads keeps its previous
    version."""
    root = os.path.abspath(directory) + os.sep
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and os.path.abspath(file).startswith(root):
            del sys.modules[name]
    importlib.invalidate_caches()
    return load(directory, previous)


def build_app(found, previous=None, app=None, development=False):
    if FastAPI is None and app is not None:
        raise MissingFastAPI("functions beside an app (--functions) need FastAPI: pip install fastapi")
    if FastAPI is None:
        python = sorted({spec.relative_file for spec in found.specs if spec.runtime == "python"})
        if python:
            more = f" and {len(python) - 1} more" if len(python) > 1 else ""
            raise MissingFastAPI(f"the Python functions ({python[0]}{more}) need FastAPI, which {sys.executable} "
                                 f"does not have: install it there (pip install fastapi), or set VIRTUAL_ENV to a "
                                 f"venv that has it")
        app = PlainApp()
        app.router.default = _not_found
        built_in = []
    elif app is None:
        app = FastAPI(title="Functions", version="1.0.0")
        app.router.default = _not_found
        # FastAPI's own /openapi.json and /docs go after the functions: a function's route wins.
        built_in = list(app.router.routes)
        app.router.routes.clear()
    else:
        built_in = []
        app.openapi_schema = None  # listed again, with the functions
    errors = []
    dependencies.install(found.specs, errors.append)
    workers = {}
    adders = []  # one per route, in precedence order: each adds its routes to the app
    kept = previous.loaded if previous is not None else {}
    loaded, failed = {}, {}
    for spec in found.specs:
        function = Function(spec, development)
        if spec.runtime != "python":
            workers.setdefault(function.relative_file, function)
            adders.append(_worker_route(spec, function))
            continue
        if spec.file not in loaded and spec.file not in failed:  # a file may have two routes
            try:
                loaded[spec.file] = find_handler(load_module(spec), spec)
            except LoadError as error:
                errors.append(str(error))
                if spec.file in kept:
                    loaded[spec.file] = kept[spec.file]
                else:
                    failed[spec.file] = f"{events.UNAVAILABLE}: {error}"
        if spec.file in failed:
            adders.append(_failing_route(spec, failed[spec.file] if development else events.UNAVAILABLE))
        else:
            adders.append(_python_route(spec, function, loaded[spec.file]))
    assets = None
    if found.root_config is not None and found.root_config.assets is not None:
        assets = Assets(found.root, found.root_config.assets)
    if assets is not None and not assets.worker_first:
        assets.add_routes(app)  # static-first: a file beats a function at its path
    for add in adders:
        add(app)
    if assets is not None and assets.worker_first:
        assets.add_routes(app)
    app.router.routes.extend(built_in)
    for conflict in found.conflicts:
        _add(app, conflict.path, conflict.methods, _answer(409, "ambiguous function"),
             name=f"conflict {conflict.path}", include_in_schema=False)
    _add_method_not_allowed(app, found)
    if assets is not None:
        assets.add_fallback(app, [spec.path for spec in found.specs])
    _add_home(app, found)
    _add_folder_homes(app, found)
    routes = [f"{','.join(spec.methods)} {spec.path} {spec.runtime} {spec.relative_file}" for spec in found.specs]
    return FunctionsApp(found.root, app, routes, list(workers.values()), found.conflicts, errors, found.warnings, loaded,
                        development, schedules.collect(found.specs), _catalog(found.specs),
                        rollouts.collect(found.specs))


def _catalog(specs):
    """Each function (file) once: its routes, its configuration as its files set it, the
    settings that apply, and its env with the names of the secret values."""
    functions = {}
    for spec in specs:
        entry = functions.setdefault(spec.relative_file, {
            "key": spec.relative_file, "name": spec.name, "runtime": spec.runtime, "version": spec.version, "routes": [],
            "config": spec.config.raw, "settings": {**spec.config.context(), "methods": spec.config.methods or ["GET"],
                                                   "handler": spec.config.handler},
            "env": spec.env, "secrets": sorted(spec.secrets),
        })
        entry["routes"].append(f"{','.join(spec.methods)} {spec.path}")
    return sorted(functions.values(), key=lambda entry: entry["key"])


def _operation_id(method, spec):
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{method.lower()}_{spec.runtime}_{spec.name}_default")


def _path_parameters(path):
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{([^}:]+)(?::path)?\}", path)]


def _add(app, path, methods, endpoint, **options):
    app.router.routes.append(Route(path, endpoint, methods=list(methods), **options))
    return app.router.routes[-1]


def _python_route(spec, function, handler):
    if not is_event_handler(handler):
        def add(app):
            for method in spec.methods:
                app.add_api_route(spec.path, handler, methods=[method], operation_id=_operation_id(method, spec),
                                  name=f"{method} {spec.relative_file}")
        return add
    plan = FunctionPlan(function, EventCall(handler))

    def add(app):
        for method in spec.methods:
            route = _add(app, spec.path, [method], _asgi_endpoint(plan), name=f"{method} {spec.relative_file}",
                         operation_id=_operation_id(method, spec), summary=f"{method} {spec.relative_file}",
                         openapi_extra={"parameters": _path_parameters(spec.path)}, tags=["functions"])
            route.apus_function = plan
    return add


def _worker_route(spec, function):
    def add(app):
        for method in spec.methods:
            route = _add(app, spec.path, [method], _answer(503, f"{spec.runtime} functions are served by the server's worker pools"),
                         name=f"{method} {spec.relative_file}", operation_id=_operation_id(method, spec),
                         summary=f"{method} {spec.relative_file}",
                         openapi_extra={"parameters": _path_parameters(spec.path)}, tags=["functions"])
            route.apus_worker = function.relative_file
    return add


def _failing_route(spec, message):
    def add(app):
        _add(app, spec.path, spec.methods, _answer(503, message), name=f"broken {spec.relative_file}",
             include_in_schema=False)
    return add


def _add_method_not_allowed(app, found):
    """405 with ``Allow`` for a method no function has at a path, after every function route:
    a less specific route with that method still answers first."""
    methods = {path: set() for path in found.denied_paths}
    for spec in found.specs:
        methods.setdefault(spec.path, set()).update(spec.methods)
    for path in sorted(methods, key=sort_key):
        allowed = set(methods[path]) | ({"HEAD"} if "GET" in methods[path] else set())
        others = [method for method in ALL_METHODS if method not in allowed]
        if others:
            allow = ", ".join(method for method in ("GET", "POST", "PUT", "PATCH", "DELETE") if method in allowed)
            _add(app, path, others, _answer(405, "method not allowed", {"allow": allow}),
                 name=f"405 {path}", include_in_schema=False)


def _add_home(app, found):
    """The root config's ``home``: ``/`` redirects (``{"redirect": url}``) or serves another
    route (``{"route": path}``)."""
    home = found.root_config.home if found.root_config else None
    if home is None:
        return
    if not isinstance(home, dict):
        raise ConfigError("fn.config.json: home must be an object")
    if "redirect" in home:
        target = str(home["redirect"])
        _add(app, "/", ["GET"], lambda: RedirectAnswer(target, status_code=302), name="home", include_in_schema=False)
        app.router.routes.insert(0, app.router.routes.pop())
    elif "route" in home or "function" in home:
        target = str(home.get("route", home.get("function")))
        if not target.startswith("/"):
            target = "/" + target
        if not _alias(app, target, "/"):
            raise ConfigError(f"fn.config.json: home route {target} is no function's route")


def _add_folder_homes(app, found):
    """Each folder's ``home`` alias, as FastFN's: ``portal/fn.config.json`` with ``{"home":
    {"route": "dashboard"}}`` serves ``/portal/dashboard``'s function at ``/portal`` too (a
    route relative to the folder, or absolute). A folder whose URL a function already has keeps
    it."""
    for folder_url, route, config_path in found.folder_homes:
        target = route if route.startswith("/") else folder_url.rstrip("/") + "/" + route
        if any(isinstance(existing, Route) and existing.path == folder_url for existing in app.router.routes):
            found.warnings.append(f"{config_path}: home: {folder_url} is a function's route already; alias skipped")
        elif not _alias(app, target, folder_url):
            raise ConfigError(f"{config_path}: home route {target} is no function's route")


def _alias(app, target, path):
    """Serves the route at ``target`` (its endpoint and plan) at ``path`` too, ahead of the
    others; whether ``target`` is a route."""
    for route in list(app.router.routes):
        if isinstance(route, Route) and route.path == target:
            alias = Route(path, route.endpoint, methods=list(route.methods), name=f"home {path}",
                             include_in_schema=False)
            for attribute in ("apus_function", "apus_worker"):
                if hasattr(route, attribute):
                    setattr(alias, attribute, getattr(route, attribute))
            app.router.routes.insert(0, alias)
            return True
    return False


def _answer(status, message, headers=None):
    body = events._json({"error": message})

    def endpoint():
        return Answer(body, status_code=status, headers=headers, media_type="application/json")
    return endpoint


async def _not_found(scope, receive, send):
    await JSONAnswer({"error": "not found"}, status_code=404)(scope, receive, send)


def _asgi_endpoint(plan):
    """The route's endpoint when it runs through the app (no plans): the same event and answer."""
    async def endpoint(request: RequestType):
        body = await request.body()
        scope = request.scope
        client = scope.get("client") or ("", 0)
        # The runtime builds the same event itself for the requests it serves (FunctionEvent).
        event = events.make_event(request.method, scope["path"], (scope.get("raw_path") or b"").decode("latin-1"),
                                  scope.get("query_string", b"").decode("latin-1"), scope["headers"], body,
                                  request.path_params, f"{client[0]}:{client[1]}", plan.function)
        failures = []

        def native(message):
            if type(message) is Error:
                failures.append(message.traceback)
            else:
                failures.append(None)
                native.message = message
        if plan.runs_async:
            await plan._run_async(event, len(body), native)
            message = native.message
        else:
            message = await run_in_threadpool(plan.run, event, len(body), native)
        for failure in failures:
            if failure:
                logger.error(failure)
        status, headers, content = message.status, message.headers, message.body
        response = Answer(content, status_code=status)
        response.raw_headers = [(n, v) for n, v in response.raw_headers if n != b"content-type"] + list(headers)
        return response
    return endpoint
