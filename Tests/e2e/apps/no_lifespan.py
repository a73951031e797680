"""An ASGI app that speaks only HTTP, as many small apps do."""


async def app(scope, receive, send):
    assert scope["type"] == "http", "only http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
