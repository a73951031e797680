"""Native plans: each route of a FastAPI app compiled, once at startup, into what the runtime
executes per request without the app's middleware stack and router.

``compile_app(app, server)`` returns one ``RouteEntry`` per route in declaration order: the methods and
path template the runtime's route table matches, and either a plan or the reason the route runs
through the app as ASGI. See ``compiler`` for the kinds of plans and ``executor`` for how they
run."""
from .compiler import CompiledApp, RouteEntry, compile_app

__all__ = ["CompiledApp", "RouteEntry", "compile_app"]
