"""Running plans: what an app's middleware stack and router would do around a route, done once
per request without them.

A ``Runner`` holds what every plan of one app shares: the app's exception handlers (split as
FastAPI's ``build_middleware_stack`` splits them: 500/``Exception`` to the server-error handler,
the rest to the exception middleware), and the ASGI ``Server`` that builds scopes. Each request
gets an ``HTTPCycle`` (``apus._asgi_host``) as its ``receive`` and ``send``: a plain response is
handed to the runtime whole, anything else (a streaming or file response) is sent through it as
ASGI messages.

Exceptions take Starlette's path: an exception with a handler (``wrap_app_handling_exceptions``)
becomes that handler's response; any other becomes the server-error handler's (or the plain
``Internal Server Error``), and is reported to the runtime, which logs it and passes it to the
TestClient."""
import asyncio
import contextvars
from contextlib import AsyncExitStack

from fastapi.exceptions import FastAPIError
from starlette._exception_handler import _lookup_exception_handler
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.datastructures import URL
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import RedirectResponse

from .. import _asyncio_host
from .._contract import Body, new
from .._asgi_host import HTTPCycle
from . import support


class Runner:
    def __init__(self, app, server, run_on_executor=None):
        self.app = app
        self.server = server
        self.run_on_executor = run_on_executor
        self.router = app.router
        error_handler = None
        handlers = {}
        for key, value in app.exception_handlers.items():
            if key in (500, Exception):
                error_handler = value
            else:
                handlers[key] = value
        middleware = ExceptionMiddleware(None, handlers=handlers, debug=app.debug)
        self.exception_handlers = (middleware._exception_handlers, middleware._status_handlers)
        self.error_handler = error_handler
        self.server_error = ServerErrorMiddleware(None, handler=error_handler, debug=app.debug)
        # Handlers known to finish without suspending may run on an executor thread.
        self.inline_handlers = frozenset(_fastapi_default_handlers())

    def new_cycle(self, request_parts, body, native, stacked=False):
        """The request's cycle, its scope as the app's router would hand it to a route (or, for
        a plan inside the app's middleware, as the app itself would receive it)."""
        scope = self.server.make_scope(request_parts)
        scope["app"] = self.app
        if not stacked:
            scope["router"] = self.router
            scope["starlette.exception_handlers"] = self.exception_handlers
        return HTTPCycle(scope, body, native, self.server.testing)

    def redirect_slash(self, request_parts, body, native):
        """FastAPI's ``redirect_slashes``, on an executor thread: a 307 to the same URL with the
        trailing slash added or removed (the runtime found a route for that spelling), returned
        as the runtime's message."""
        redirect_scope = self.server.make_scope(request_parts)
        path = redirect_scope["path"]
        redirect_scope["path"] = path.rstrip("/") if path.endswith("/") else path + "/"
        response = RedirectResponse(url=str(URL(scope=redirect_scope)))
        return new(Body, (response.status_code, response.raw_headers, response.body, False, None))

    # -- exceptions ------------------------------------------------------------------------

    def handler_for(self, exc):
        """The app's handler for ``exc`` (exception middleware), or None."""
        if not isinstance(exc, Exception):
            return None
        exception_handlers, status_handlers = self.exception_handlers
        handler = None
        if isinstance(exc, StarletteHTTPException):
            handler = status_handlers.get(exc.status_code)
        if handler is None:
            handler = _lookup_exception_handler(exception_handlers, exc)
        return handler

    def _error_handler(self, exc):
        """The handler that answers ``exc`` (None: nothing answers a BaseException that is not
        an Exception), and whether ``exc`` is still an error to report afterwards (one no handler
        took, as ServerErrorMiddleware reports it by raising again)."""
        handler = self.handler_for(exc)
        if handler is not None:
            return handler, False
        if not isinstance(exc, Exception):
            return None, True
        return self.error_handler or self._plain_error_response, True

    def _plain_error_response(self, request, exc):
        """ServerErrorMiddleware's own answer: the debug page, or a plain 500."""
        if self.app.debug:
            return self.server_error.debug_response(request, exc)
        return self.server_error.error_response(request, exc)

    async def error_response(self, request, exc):
        """The response for ``exc`` and whether it still is an error to report."""
        handler, reported = self._error_handler(exc)
        if handler is None:
            return None, True
        if is_async_callable(handler):
            response = await handler(request, exc)
        elif handler == self._plain_error_response:
            response = handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        if not reported:
            exc.__traceback__ = None  # as Starlette: reused exceptions collect tracebacks
        return response, reported

    def error_response_sync(self, request, exc):
        """``error_response`` from an executor thread: FastAPI's own handlers run here (they
        never suspend); an app's async handler runs on the runtime's loop, awaited here."""
        handler, reported = self._error_handler(exc)
        if handler is None:
            return None, True
        if not is_async_callable(handler):
            response = handler(request, exc)
        elif handler in self.inline_handlers:
            response = drive(handler(request, exc))
        else:
            response = on_loop(handler(request, exc))
        if not reported:
            exc.__traceback__ = None
        return response, reported

    # -- sync work from the asyncio thread ----------------------------------------------------

    async def to_executor(self, function, *args, **kwargs):
        """``function(*args, **kwargs)`` on one of the runtime's executor threads, awaited from
        the asyncio thread: where FastAPI sends sync work to anyio's thread pool, a plan sends
        it to the threads every sync plan runs on. As anyio runs it, in a copy of the caller's
        context. Without the runtime's pool (a listing), anyio's."""
        if self.run_on_executor is None:
            return await run_in_threadpool(function, *args, **kwargs)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        context = contextvars.copy_context()

        def job():
            try:
                result = context.run(function, *args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - raised again in the awaiting task
                loop.call_soon_threadsafe(_settle, future, None, error)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)

        self.run_on_executor(job)
        return await future

    # -- responses -------------------------------------------------------------------------

    async def send(self, response, cycle):
        """Sends a response as Starlette's ``Response.__call__`` would, background included; or
        a plan's runtime message for a plain body (``route_response.fast_message``)."""
        if response is None:
            raise RuntimeError("the exception handler returned no response")
        if type(response) is Body:
            cycle.respond(response.status, response.headers, response.body)
        elif support.is_plain_response(response):
            cycle.respond(response.status_code, response.raw_headers, response.body)
            if response.background is not None:
                await response.background()
        else:
            await response(cycle.scope, cycle.receive, cycle.send)

    def report(self, cycle, exc):
        cycle.fail(exc)


def _settle(future, result, error):
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _fastapi_default_handlers():
    from fastapi import exception_handlers

    return [exception_handlers.http_exception_handler, exception_handlers.request_validation_exception_handler]


def drive(coroutine):
    """Runs a coroutine that does not suspend, on this thread; one that suspends is finished
    on the runtime's loop instead (an app's own code may await anything)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a coroutine expected to finish at once suspended")


def on_loop(coroutine):
    """Runs a coroutine on the runtime's asyncio loop and waits for it (from an executor
    thread; the wait releases the GIL)."""
    return asyncio.run_coroutine_threadsafe(coroutine, _asyncio_host.loop()).result()


async def run_with_stacks(runner, cycle, request, handle):
    """The part of FastAPI's ``request_response`` and AsyncExitStackMiddleware a plan keeps:
    the exit stacks FastAPI's handlers and dependencies with ``yield`` expect in the scope,
    closed in FastAPI's order (the function stack before the response is sent, the request
    stack after it and its background tasks), and exceptions answered by the app's handlers."""
    scope = cycle.scope
    try:
        sent = False
        async with AsyncExitStack() as middleware_stack:
            scope["fastapi_middleware_astack"] = middleware_stack
            scope["fastapi_astack"] = middleware_stack  # the key FastAPI < 0.118 reads
            async with AsyncExitStack() as request_stack:
                scope["fastapi_inner_astack"] = request_stack
                async with AsyncExitStack() as function_stack:
                    scope["fastapi_function_astack"] = function_stack
                    response = await handle(request)
                await runner.send(response, cycle)
                sent = True
        if not sent:
            # A dependency with `yield` swallowed the endpoint's exception: FastAPI's own error.
            raise FastAPIError(RESPONSE_NOT_AWAITED)
    except BaseException as exc:  # noqa: BLE001 - every exception is answered or reported
        await answer_exception(runner, cycle, request, exc)
        return
    cycle.release()


async def run_with_one_stack(runner, cycle, request, handle):
    """``run_with_stacks`` for a handler whose ``yield`` dependencies all exit after the
    response (FastAPI 0.118+, no ``Depends(scope="function")``, no form): the function and
    middleware stacks would stay empty and close back to back with the request stack, so one
    stack stands for the three, under each of their keys, in the same order of exits."""
    scope = cycle.scope
    try:
        sent = False
        async with AsyncExitStack() as stack:
            scope["fastapi_middleware_astack"] = scope["fastapi_astack"] = stack
            scope["fastapi_inner_astack"] = scope["fastapi_function_astack"] = stack
            response = await handle(request)
            await runner.send(response, cycle)
            sent = True
        if not sent:
            raise FastAPIError(RESPONSE_NOT_AWAITED)
    except BaseException as exc:  # noqa: BLE001 - every exception is answered or reported
        await answer_exception(runner, cycle, request, exc)
        return
    cycle.release()


async def run_without_stacks(runner, cycle, request, handle):
    """``run_with_stacks`` for a handler that enters nothing on them (no ``yield`` dependency,
    no form): the same answers, without making three exit stacks per request."""
    try:
        await runner.send(await handle(request), cycle)
    except BaseException as exc:  # noqa: BLE001 - every exception is answered or reported
        await answer_exception(runner, cycle, request, exc)
        return
    cycle.release()


async def answer_exception(runner, cycle, request, exc):
    """An exception answered by the app's handlers, or reported (Starlette's
    ``wrap_app_handling_exceptions`` and ServerErrorMiddleware)."""
    if cycle.started:
        # Handled or not, nothing more can be sent (Starlette: "Caught handled exception, but
        # response already started").
        runner.report(cycle, exc)
        return
    try:
        response, unhandled = await runner.error_response(request, exc)
        if unhandled:
            cycle.answer_outside_middleware()
        if response is not None:
            await runner.send(response, cycle)
    except BaseException as failure:  # noqa: BLE001
        runner.report(cycle, failure)
        return
    if unhandled:
        runner.report(cycle, exc)
        return
    cycle.release()


RESPONSE_NOT_AWAITED = (
    "Response not awaited. There's a high chance that the application code is raising an exception and a "
    "dependency with yield has a block with a bare except, or a block with except Exception, and is not raising "
    "the exception again. Read more about it in the docs: "
    "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#dependencies-with-yield-and-except")
