"""Custom route classes: an ``APIRoute`` subclass whose ``get_route_handler`` wraps
``super().get_route_handler()`` (the pattern FastAPI's docs teach for timing a request or
replacing the ``Request``) keeps its wrapper, with the injected plan's handler underneath.

The route's ``get_route_handler()`` is called once more, at compile time, while
``APIRoute.get_route_handler`` answers this one route with the plan's handler; a class that never
asks its parent replaces the handler outright, and keeps FastAPI's."""
import threading

from fastapi.routing import APIRoute

from .handler_plan import route_handler

_patching = threading.Lock()


def has_own_handler(route):
    return type(route).get_route_handler is not APIRoute.get_route_handler


def handler_around(top_route, context, injected):
    """The route's own handler, made with ``injected`` as what ``super().get_route_handler()``
    gives, and whether it asked for it."""
    route = context.original_route if context is not None else top_route
    parent = APIRoute.get_route_handler
    asked = []

    def get_route_handler(self):
        if self is route:
            asked.append(True)
            return injected
        return parent(self)

    with _patching:  # compiles of two apps in one process do not interleave their patches
        APIRoute.get_route_handler = get_route_handler
        try:
            handler = route_handler(top_route, context)
        finally:
            APIRoute.get_route_handler = parent
    return handler, bool(asked)
