"""Native plans: each route of a FastAPI app compiled, once at startup, into what the runtime
executes per request without the app's middleware stack and router.

``compile_app(app, server)`` returns one ``RouteEntry`` per route in declaration order: the methods and
path template the runtime's route table matches, and either a plan or the reason the route runs
through the app as ASGI. See ``compiler`` for the kinds of plans and ``runner`` for how they
run."""
import sys

from .rows import ANY_PATH, CompiledApp, RouteEntry, not_a_fastapi_app

__all__ = ["CompiledApp", "RouteEntry", "compile_app"]


def compile_app(app, server, run_on_executor=None):
    """The app's routes, compiled. ``run_on_executor``: the runtime's function that runs a job on
    one of its executor threads (see ``runner.Runner.to_executor``); None: none is served. An app
    made without importing FastAPI cannot be a FastAPI
    app: it runs as ASGI, and FastAPI is not imported for it (a quarter of a second, and some
    20 MB, that a plain ASGI app would pay for nothing)."""
    route_entries = getattr(app, "route_entries", None)
    if route_entries is not None and type(app).__module__ == "apus.functions.plain":
        return CompiledApp(route_entries(), None)  # a functions tree served without FastAPI
    if "fastapi" not in sys.modules:
        return CompiledApp([RouteEntry(None, ANY_PATH, "asgi", reason=not_a_fastapi_app(app))], None)
    from .compiler import compile_app as compile_fastapi_app
    return compile_fastapi_app(app, server, run_on_executor)
