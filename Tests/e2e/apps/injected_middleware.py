"""The routes of injected.py behind an `@app.middleware("http")` that reads the whole response and
rewrites it: the routes run inside the app's middleware, their dependencies injected by Apus."""
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
