"""A bare ASGI 3 app (no framework): the scope, streamed bodies, back-pressure, disconnects,
lifespan and failures, as the server must handle them for any ASGI app."""
import asyncio
import json
import os

progress = {"sent": 0, "disconnected": False, "started": False}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await lifespan(scope, receive, send)
    path = scope["path"]
    handler = ROUTES.get(scope["path"].removeprefix(scope["root_path"]))
    if handler is None:
        return await respond(send, 404, b"not found " + path.encode())
    await handler(scope, receive, send)


async def lifespan(scope, receive, send):
    message = await receive()
    assert message["type"] == "lifespan.startup"
    if os.environ.get("RAW_ASGI_FAIL_STARTUP"):
        await send({"type": "lifespan.startup.failed", "message": "the database is unreachable"})
        return
    scope["state"]["greeting"] = "hello from lifespan"
    await send({"type": "lifespan.startup.complete"})
    message = await receive()
    assert message["type"] == "lifespan.shutdown"
    marker = os.environ.get("RAW_ASGI_SHUTDOWN_FILE")
    if marker:
        with open(marker, "w") as f:
            f.write("shutdown ran")
    await send({"type": "lifespan.shutdown.complete"})


async def respond(send, status, body, headers=()):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), *headers]})
    await send({"type": "http.response.body", "body": body})


async def scope_echo(scope, receive, send):
    message = await receive()
    shown = {
        "type": scope["type"], "http_version": scope["http_version"], "method": scope["method"],
        "scheme": scope["scheme"], "path": scope["path"], "raw_path": scope["raw_path"].decode("latin-1"),
        "root_path": scope["root_path"], "query_string": scope["query_string"].decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "client": list(scope["client"]), "server": list(scope["server"]),
        "state": dict(scope.get("state", {})), "asgi": scope["asgi"],
        "body": message["body"].decode(), "more_body": message["more_body"],
    }
    await respond(send, 200, json.dumps(shown).encode(), [(b"x-dup", b"1"), (b"x-dup", b"2")])


async def stream(scope, receive, send):
    """Ten pieces without a content-length: chunked on HTTP/1.1."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for i in range(10):
        await send({"type": "http.response.body", "body": f"piece {i}\n".encode(), "more_body": True})
        await asyncio.sleep(0)
    await send({"type": "http.response.body", "body": b""})


async def stream_with_length(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
    for piece in (b"01234", b"56789"):
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def wrong_length(scope, receive, send):
    await respond(send, 200, b"hello world, this is longer", [(b"content-length", b"3")])


async def endless(scope, receive, send):
    """Streams until the client goes away; `await send` must wait while the client is slow, so
    `progress["sent"]` stays bounded for a client that does not read."""
    progress.update(sent=0, disconnected=False, started=True)

    async def watch():
        message = await receive()  # the (empty) request body
        message = await receive()
        progress["disconnected"] = message["type"] == "http.disconnect"

    watcher = asyncio.ensure_future(watch())
    await send({"type": "http.response.start", "status": 200, "headers": []})
    piece = b"x" * 65536
    try:
        while not progress["disconnected"] and progress["sent"] < 1 << 30:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            progress["sent"] += len(piece)
    finally:
        await asyncio.sleep(0.05)
        watcher.cancel()


async def show_progress(scope, receive, send):
    await respond(send, 200, json.dumps(progress).encode())


async def raise_before_start(scope, receive, send):
    raise RuntimeError("failed before the response started")


async def raise_after_start(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise RuntimeError("failed halfway through the body")


async def keyboard_interrupt_after_await(scope, receive, send):
    await asyncio.sleep(0.01)
    raise KeyboardInterrupt


async def no_response(scope, receive, send):
    return None


async def echo_body(scope, receive, send):
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await respond(send, 200, b"".join(chunks))


ROUTES = {
    "/scope": scope_echo, "/stream": stream, "/stream-length": stream_with_length, "/wrong-length": wrong_length,
    "/endless": endless, "/progress": show_progress, "/raise-before": raise_before_start,
    "/raise-after": raise_after_start, "/keyboard-interrupt": keyboard_interrupt_after_await,
    "/no-response": no_response, "/echo": echo_body,
}


uploads = {"messages": 0, "bytes": 0, "disconnected": False}


async def count_chunks(scope, receive, send):
    """Reads the body message by message as it arrives."""
    uploads.update(messages=0, bytes=0, disconnected=False)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            uploads["disconnected"] = True
            return
        uploads["messages"] += 1
        uploads["bytes"] += len(message["body"])
        if not message["more_body"]:
            break
    await respond(send, 200, json.dumps(uploads).encode())


async def show_uploads(scope, receive, send):
    await respond(send, 200, json.dumps(uploads).encode())


async def ignore_body(scope, receive, send):
    await asyncio.sleep(1.5)
    await respond(send, 200, b"ignored")


ROUTES.update({"/count-chunks": count_chunks, "/uploads": show_uploads, "/ignore-body": ignore_body})


async def big(scope, receive, send):
    """One body of `size` bytes (a query parameter), sent whole."""
    size = int(scope["query_string"].decode().partition("=")[2] or 0)
    await respond(send, 200, b"b" * size)


ROUTES["/big"] = big


async def close_please(scope, receive, send):
    await respond(send, 200, b"bye", [(b"connection", b"close")])


async def informational(scope, receive, send):
    await respond(send, 101, b"")


async def informational_streamed(scope, receive, send):
    await send({"type": "http.response.start", "status": 101, "headers": []})
    await send({"type": "http.response.body", "body": b"x", "more_body": True})
    await send({"type": "http.response.body", "body": b""})


ROUTES.update({"/close-please": close_please, "/status-101": informational,
               "/status-101-streamed": informational_streamed})
