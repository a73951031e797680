"""The application object: routes declared with decorators, as in FastAPI."""
from .routing import APIRoute


class FastAPI:
    def __init__(self, *, title="FastAPI", version="0.1.0", debug=False, **extra):
        self.title = title
        self.version = version
        self.debug = debug
        self.extra = extra
        self.routes = []

    def add_api_route(self, path, endpoint, *, methods=None, status_code=None, response_model=None,
                      response_class=None, name=None, **options):
        route = APIRoute(path, endpoint, methods=methods or ["GET"], status_code=status_code,
                         response_model=response_model, response_class=response_class, name=name)
        self.routes.append(route)
        return route

    def api_route(self, path, *, methods=None, **options):
        def decorator(endpoint):
            self.add_api_route(path, endpoint, methods=methods, **options)
            return endpoint
        return decorator

    def get(self, path, **options):
        return self.api_route(path, methods=["GET"], **options)

    def post(self, path, **options):
        return self.api_route(path, methods=["POST"], **options)

    def put(self, path, **options):
        return self.api_route(path, methods=["PUT"], **options)

    def patch(self, path, **options):
        return self.api_route(path, methods=["PATCH"], **options)

    def delete(self, path, **options):
        return self.api_route(path, methods=["DELETE"], **options)

    def options(self, path, **options):
        return self.api_route(path, methods=["OPTIONS"], **options)

    def head(self, path, **options):
        return self.api_route(path, methods=["HEAD"], **options)

    def serve(self, host="127.0.0.1", port=0, **options):
        """Serves this app from the current process on a loop thread; returns a running
        server (``.port``, ``.url``, ``.stop()``). Port 0 picks a free port."""
        from ._native import serve
        return serve(self, host=host, port=port, **options)
