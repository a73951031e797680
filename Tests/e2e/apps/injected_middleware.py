"""The routes of injected.py behind an `@app.middleware("http")` that reads the whole response and
rewrites it, and a pure ASGI middleware that replaces the query string when asked
(`X-Rewrite-Query`): the routes run inside the app's middleware, their dependencies injected by
Apus from the scope the middleware passed on."""
from fastapi import Request, Response

from injected import app, events  # noqa: F401 - the app, and the events the tests read


@app.middleware("http")
async def rewrite(request: Request, call_next):
    events.append("middleware in")
    response = await call_next(request)
    body = b"".join([chunk async for chunk in response.body_iterator])
    headers = {name: value for name, value in response.headers.items() if name != "content-length"}
    headers["x-body-length"] = str(len(body))
    events.append("middleware out")
    return Response(content=body, status_code=response.status_code, headers=headers)


class RewriteQuery:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"x-rewrite-query":
                    scope = dict(scope, query_string=value)
        await self.app(scope, receive, send)


app.add_middleware(RewriteQuery)
