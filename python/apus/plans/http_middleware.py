"""``@app.middleware("http")`` (Starlette's ``BaseHTTPMiddleware``) in less machinery, for the
plans inside the app's middleware stack (``stacked``).

Starlette runs the layer below a dispatch function in an anyio task group, passes its messages
through a memory stream, and sends the dispatch function's response on a piece at a time: an
empty last piece after each body. ``HTTPMiddleware`` keeps what the dispatch function and the
app see, and drops that machinery:
- the dispatch function gets Starlette's ``_CachedRequest``, and ``call_next`` returns Starlette's
  ``_StreamingResponse`` once the layer below starts its response;
- the layer below runs in an asyncio Task of its own (a copy of the context, as anyio's task
  gives it), started by ``call_next``; each message it sends waits until the dispatch side has
  taken it (Starlette's stream holds none), and its last one until the layer's response has
  gone out, so background tasks and ``yield`` cleanup below run after it, as in Starlette;
- an exception below raised before the response starts comes out of ``call_next``; one raised
  after it, once the layer's response has been sent; an exception of the dispatch side cancels
  the layer below;
- a response the dispatch function passes on with its body already complete (a header added,
  the status changed) goes out as one body message: the same bytes on the wire, with no empty
  last piece and no wait for the client between the two.
It was written from, and is checked against, the Starlette versions in
``native_middleware.VERIFIED_STARLETTE``; with any other, or for a subclass that overrides
``__call__``, Starlette's own class runs."""
import asyncio

import anyio
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, _CachedRequest, _StreamingResponse

from . import native_middleware


def with_native_layers(user_middleware):
    """The app's middleware list with each ``BaseHTTPMiddleware`` Apus can stand in for
    replaced by one that builds ``HTTPMiddleware``, and the names of those it replaced."""
    if native_middleware.STARLETTE_VERSION not in native_middleware.VERIFIED_STARLETTE:
        return user_middleware, []
    layers = []
    replaced = []
    for middleware in user_middleware:
        cls, args, kwargs = middleware
        if isinstance(cls, type) and issubclass(cls, BaseHTTPMiddleware) and cls.__call__ is BaseHTTPMiddleware.__call__:
            layers.append(Middleware(_builder(cls), *args, **kwargs))
            replaced.append(_dispatch_name(cls, kwargs))
        else:
            layers.append(middleware)
    return layers, replaced


def _builder(cls):
    def build(app, *args, **kwargs):
        # The app's class builds itself (its own __init__ and options), then its dispatch runs here.
        return HTTPMiddleware(app, cls(app, *args, **kwargs).dispatch_func)
    return build


def _dispatch_name(cls, kwargs):
    dispatch = kwargs.get("dispatch")
    if cls is BaseHTTPMiddleware and dispatch is not None:
        return getattr(dispatch, "__name__", repr(dispatch))
    return cls.__name__


class HTTPMiddleware:
    """Stands in for one ``BaseHTTPMiddleware``: ``dispatch`` around ``app``."""

    __slots__ = ("app", "dispatch_func")

    def __init__(self, app, dispatch):
        self.app = app
        self.dispatch_func = dispatch

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _CachedRequest(scope, receive, send)
        below = _LayerBelow(self.app, scope, request.wrapped_receive, send)
        try:
            response = await self.dispatch_func(request, below.call_next)
            await below.send_response(response, scope, request.wrapped_receive, send)
        except BaseException as exc:  # noqa: BLE001 - raised again, once the layer below has stopped
            await below.abandon()
            if isinstance(exc, asyncio.CancelledError):
                raise
            _raise_collapsed(exc)
        await below.finish()


class _LayerBelow:
    """The app below one dispatch function, run by ``call_next``, and the messages it sends."""

    __slots__ = ("app", "scope", "receive", "send", "task", "head", "info", "error", "error_raised", "fatal", "ended",
                 "closed", "piece", "receiving", "taken", "wanted", "sent", "whole", "stream", "stream_started")

    def __init__(self, app, scope, receive, send):
        self.app = app
        self.scope = scope
        self.receive = receive
        self.send = send  # the layer's own: early hints go straight out, as in Starlette
        self.task = None
        self.head = None  # the `http.response.start` message
        self.info = None  # an `http.response.debug` message's info
        self.error = None  # the Exception the app below raised (Starlette's `app_exc`)
        self.error_raised = False
        self.fatal = None  # a BaseException (not an Exception) the app below raised: raised again above
        self.ended = False
        self.closed = False  # the layer's response went out: sends below are dropped
        self.piece = None  # a message sent below, not taken yet
        self.receiving = False  # the dispatch side waits for the next message
        self.taken = None  # future: the sender below waits for its message to be taken
        self.wanted = None  # future: the dispatch side waits for the head, a message, or the end
        self.sent = None  # future: the sender of a last message waits for the layer's response
        self.whole = None  # the body, when the first body message was the last
        self.stream = None  # the body iterator of the response `call_next` returned
        self.stream_started = False

    # -- the dispatch side ---------------------------------------------------------------------

    async def call_next(self, request):
        # As Starlette's: `request` is not what runs below (the scope and body are).
        loop = asyncio.get_running_loop()
        self.task = loop.create_task(self._run())
        while self.head is None and self.piece is None and not self.ended:
            await self._wait(loop)
        if self.fatal is not None:
            raise self.fatal
        if self.head is None and self.piece is not None:
            raise AssertionError(f"Unexpected message before the response started: {self.piece['type']}")
        if self.head is None:
            error = self.error
            if error is not None:
                self.error_raised = True
                # As Starlette raises it: while handling the end of its stream (a context that
                # tracebacks leave out), with the exception's own context as its cause.
                try:
                    raise anyio.EndOfStream
                except anyio.EndOfStream:
                    raise error from error.__cause__ or error.__context__
            raise RuntimeError("No response returned.")
        self.stream = self._body()
        response = _StreamingResponse(status_code=self.head["status"], content=self.stream, info=self.info)
        response.raw_headers = self.head.get("headers", [])
        return response

    async def _wait(self, loop):
        waiter = self.wanted = loop.create_future()
        try:
            await waiter
        finally:
            self.wanted = None

    def _wake(self, future):
        if future is not None and not future.done():
            future.set_result(None)

    async def _take(self):
        """The next message sent below, or None once the app below has returned."""
        loop = None
        while self.piece is None and not self.ended:
            loop = loop or asyncio.get_running_loop()
            self.receiving = True
            try:
                await self._wait(loop)
            finally:
                self.receiving = False
        message, self.piece = self.piece, None
        self._wake(self.taken)
        return message

    async def _body(self):
        """``call_next``'s body iterator, as Starlette's ``body_stream``."""
        self.stream_started = True
        while True:
            message = await self._take()
            if message is None:
                return
            if message["type"] == "http.response.pathsend":
                yield message
                return
            assert message["type"] == "http.response.body", f"Unexpected message: {message}"
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return

    async def send_response(self, response, scope, receive, send):
        """The dispatch function's response, sent; then the layer below may go on."""
        if (type(response) is _StreamingResponse and response.body_iterator is self.stream
                and not self.stream_started and self.whole is not None and response.info is None
                and (not self.whole or _has_length(response.raw_headers))):
            self.piece = None
            await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
            await send({"type": "http.response.body", "body": self.whole, "more_body": False})
            if response.background is not None:
                await response.background()
        else:
            await response(scope, receive, send)
        self._close()

    async def finish(self):
        """After the response: waits for the app below to return; raises what it raised after
        its response started."""
        self._close()
        task = self.task
        if task is not None and not task.done():
            try:
                await task
            except asyncio.CancelledError:
                task.cancel()  # this layer was cancelled: so is the app below, as in a task group
                raise
        if self.fatal is not None:
            raise self.fatal
        if self.error is not None and not self.error_raised:
            raise self.error

    async def abandon(self):
        """The dispatch side failed: the app below is cancelled, and waited for."""
        self._close()
        task = self.task
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def _close(self):
        self.closed = True
        self.piece = None
        self._wake(self.taken)
        self._wake(self.sent)

    # -- the side below ------------------------------------------------------------------------

    async def _run(self):
        try:
            await self.app(self.scope, self._receive_below, self._send_below)
        except asyncio.CancelledError:
            if not self.closed:  # cancelled from elsewhere, not by `abandon`
                self.fatal = asyncio.CancelledError()
        except Exception as exc:  # noqa: BLE001 - Starlette's `app_exc`
            self.error = exc
        except BaseException as exc:  # noqa: BLE001 - raised on the dispatch side
            self.fatal = exc
        finally:
            self.ended = True
            self._wake(self.wanted)

    async def _receive_below(self):
        if self.closed:
            return {"type": "http.disconnect"}
        message = await self.receive()
        if self.closed:
            return {"type": "http.disconnect"}
        return message

    async def _send_below(self, message):
        if self.closed:
            # Starlette's stream is closed once the response went out: the send is dropped, but
            # still lets other tasks run (anyio's send is a checkpoint), so a sender that loops
            # can be cancelled.
            await asyncio.sleep(0)
            return
        kind = message["type"]
        if self.head is None:
            if kind == "http.response.debug":
                self.info = message["info"]
                return
            if kind == "http.response.start":
                self.head = message
                self._wake(self.wanted)
                return
            if kind == "http.response.early_hint":
                await self.send(message)
                return
        loop = asyncio.get_running_loop()
        while self.piece is not None:
            # The message before is handed over but not taken yet: Starlette's stream holds one
            # message at most, in a receiver's hands.
            await self._until_taken(loop)
            if self.closed:
                return
        last = kind == "http.response.pathsend" or (kind == "http.response.body" and not message.get("more_body", False))
        if last and kind == "http.response.body" and self.whole is None and not self.stream_started:
            self.whole = message.get("body", b"")
        handed_over, self.receiving = self.receiving, False
        self.piece = message
        self._wake(self.wanted)
        if last:
            # Taken or not, the last message waits for the layer's response to go out.
            waiter = self.sent = loop.create_future()
            await waiter
        elif not handed_over:
            # Nobody waited for it: it waits to be taken (the dispatch side waiting for it takes it at once).
            await self._until_taken(loop)

    async def _until_taken(self, loop):
        waiter = self.taken = loop.create_future()
        await waiter


def _raise_collapsed(exc):
    """Raises ``exc`` as Starlette's collapsing task group does: out of the group anyio raised
    it in, its context (if shown) made its cause. Tracebacks then read as Starlette's."""
    try:
        raise BaseExceptionGroup("unhandled errors in a TaskGroup", [exc]) from None
    except BaseExceptionGroup:
        raise exc from exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)  # noqa: B904


def _has_length(raw_headers):
    for name, _ in raw_headers:
        if name == b"content-length":
            return True
    return False
