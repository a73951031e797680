"""Injected plans: routes with dependencies, executed by Apus from their ``InjectionTree``.

Per request, what FastAPI's request handler and ``solve_dependencies`` do, without either: the
body read as FastAPI reads it; the tree solved in FastAPI's order (``solving``); the errors of
every source raised as one ``RequestValidationError``; the endpoint; the response built as
FastAPI builds it (the sub-``Response``'s status and headers, background tasks, the route's
serialization and response class: ``route_response``).

Where it runs:
- a tree whose steps and endpoint are all sync runs on an executor thread from start to end:
  sync dependencies are called directly, sync ``yield`` dependencies are entered and exited on
  that thread, and the asyncio loop is never touched (but for an async background task or a
  streamed response body). Its fast lane (``fast_arguments``) reads every step's parameters
  from the raw request without pydantic and answers with the runtime's message, with no scope
  or ``Request`` made at all;
- a tree with any coroutine or async generator (or a form to parse) runs on the asyncio thread,
  as one task, so that an async generator's exit runs in the task that entered it; its sync
  steps (and a sync endpoint) go to the runtime's executor threads, where FastAPI sends them to
  anyio's thread pool.

``yield`` cleanup follows the installed FastAPI: on 0.118+, a dependency with
``Depends(scope="function")`` exits before the response is sent, any other after the body and
the background tasks; before 0.118, every one exits before the response is sent."""
from contextlib import AsyncExitStack, ExitStack
from contextvars import copy_context
from fastapi import params
from fastapi.exceptions import FastAPIError, HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .. import _asyncio_host
from .._asgi_host import run_app
from . import request_body, support
from .runner import RESPONSE_NOT_AWAITED, on_loop, run_with_one_stack, run_with_stacks, run_without_stacks
from .fast_arguments import FastArguments
from .handler_plan import RouteSelection
from .injection import InjectionPlans, is_coroutine_callable
from .route_response import RouteResponse
from .solving import OnExecutor, Solving, solve_async, solve_sync
from .sync_exchange import SyncExchange

# FastAPI 0.118 moved `yield` cleanup after the response (and added `Depends(scope=)` in 0.121).
CLEANUP_AFTER_SEND = support.FASTAPI_VERSION >= (0, 118, 0)
_NO_RESPONSE = (
    "No response object was returned. There's a high chance that the application code is raising an exception and "
    "a dependency with yield has a block with a bare except, or a block with except Exception, and is not raising "
    "the exception again. Read more about it in the docs: "
    "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#dependencies-with-yield-and-except")
_UNDEFINED = object()


class InjectedPlan:
    kind = "injected"  # compiler.INJECTED

    def __init__(self, runner, top_route, context=None):
        self.runner = runner
        self.top_route = top_route
        self.context = context
        self.selection = RouteSelection(top_route, context)
        spec = context if context is not None else top_route
        self.route_path = spec.dependant.path or getattr(spec, "path_format", None) or top_route.path
        self.plans = InjectionPlans(spec.dependant, spec.dependency_overrides_provider)
        self.runs_async = self.plans.plain.runs_async
        self.endpoint = spec.dependant.call
        self.endpoint_is_async = is_coroutine_callable(self.endpoint)
        self.body_field = spec.body_field
        self.form_body = spec.body_field is not None and isinstance(spec.body_field.field_info, params.Form)
        if self.form_body:
            self.form_limits = _form_limits(runner.app, top_route, context)
            self.runs_async = True  # a form is parsed with awaits
        self.embed_body_fields = getattr(spec, "_embed_body_fields", False)
        self.json_without_content_type = request_body.json_without_content_type(spec)
        self.response = RouteResponse(spec, self.endpoint)
        self.fast = None if self.form_body else FastArguments.compile(self.plans.plain, spec.param_convertors)

    # -- entry points ----------------------------------------------------------------------

    def run(self, request_parts, body, native):
        """A tree of sync steps, on an executor thread."""
        exchange = SyncExchange(self, request_parts, body, native)
        try:
            tree = self.plans.current()
            fast = self._fast_arguments(tree, request_parts)
            if fast is None or self.fast.needs_request:
                request = exchange.make_request()
                if request is None:  # the runtime's table and the route disagree: the app decides
                    on_loop(run_app(self.runner.app, exchange.cycle))
                    return
                if tree.runs_async:  # an override made a step async
                    on_loop(self._run_async(exchange.cycle, request, tree, None))
                    return
            self._run_sync(exchange, tree, fast)
        except BaseException as exc:  # noqa: BLE001 - every exception is answered or reported
            exchange.report(exc)
        finally:
            exchange.close()

    def _fast_arguments(self, tree, request_parts):
        """Every step's parameters read ahead by the fast lane, or None."""
        if tree is self.plans.plain and self.fast is not None:
            return self.fast.extract(request_parts)
        return None

    def start(self, request_parts, body, native):
        """A tree with async steps, on the asyncio thread."""
        cycle = self.runner.new_cycle(request_parts, body, native)
        _asyncio_host.start(self._start(cycle, request_parts, body))
        return cycle

    async def _start(self, cycle, request_parts, body):
        try:
            if not self.selection.fill(cycle.scope):
                await run_app(self.runner.app, cycle)
                return
            request = Request(cycle.scope, cycle.receive, cycle.send)
            request._body = body
            cycle.body_taken()
            tree = self.plans.current()
            await self._run_async(cycle, request, tree, self._fast_arguments(tree, request_parts))
        except BaseException as exc:  # noqa: BLE001
            self.runner.report(cycle, exc)
        finally:
            cycle.close()

    # -- sync ------------------------------------------------------------------------------

    def _run_sync(self, exchange, tree, fast):
        """What ``run_with_stacks`` does around FastAPI's handler, with exit stacks of sync
        context managers on this thread."""
        try:
            solving = Solving(exchange.request, tree, self.embed_body_fields, fast)
            if not tree.has_generators:  # nothing to exit: no exit stacks to make
                answer, errors = self._handle_sync(solving, tree, exchange)
                if errors:
                    raise self._validation_error(errors, solving)
                exchange.send(answer)
            elif CLEANUP_AFTER_SEND:
                sent = False
                with ExitStack() as request_stack:
                    solving.request_stack = request_stack
                    with ExitStack() as function_stack:
                        solving.function_stack = function_stack
                        answer, errors = self._handle_sync(solving, tree, exchange)
                        if errors:
                            raise self._validation_error(errors, solving)
                    exchange.send(answer)
                    sent = True
                if not sent:
                    raise FastAPIError(RESPONSE_NOT_AWAITED)
            else:
                answer = errors = None
                with ExitStack() as stack:
                    solving.request_stack = solving.function_stack = stack
                    answer, errors = self._handle_sync(solving, tree, exchange)
                if errors:
                    raise self._validation_error(errors, solving)
                if answer is None:
                    raise FastAPIError(_NO_RESPONSE)
                exchange.send(answer)
        except BaseException as exc:  # noqa: BLE001 - every exception is answered or reported
            if exchange.started:
                exchange.report(exc)
                return
            try:
                request = exchange.make_request()
                response, unhandled = self.runner.error_response_sync(request, exc)
                if unhandled:
                    exchange.answer_outside_middleware()
                if response is not None:
                    exchange.send(response)
            except BaseException as failure:  # noqa: BLE001
                exchange.report(failure)
                return
            if unhandled:
                exchange.report(exc)
                return
        exchange.release()

    def _handle_sync(self, solving, tree, exchange):
        """The answer (None with errors: a runtime message or a ``Response``) and the
        validation errors."""
        if solving.fast is None and self.body_field is not None:
            self._read_body(solving, solving.request._body)
        values, errors = solve_sync(tree, solving)
        if errors:
            return None, errors
        raw = copy_context().run(self.endpoint, **values)
        if solving.response is None and solving.background_tasks is None:
            message = self.response.fast_message(raw)
            if message is not None:
                return message, None
        return self._response(raw, solving), None

    # -- async -----------------------------------------------------------------------------

    async def _run_async(self, cycle, request, tree, fast):
        handle = self._handler(tree, fast, whole=False)
        if self.form_body or (tree.has_generators and (tree.exits_before_send or not CLEANUP_AFTER_SEND)):
            await run_with_stacks(self.runner, cycle, request, handle)
        elif tree.has_generators:
            await run_with_one_stack(self.runner, cycle, request, handle)
        else:
            await run_without_stacks(self.runner, cycle, request, handle)

    async def request_handler(self, request):
        """The route's handler as FastAPI's ``get_route_handler()`` makes it (a ``Request`` in,
        a ``Response`` out, within the exit stacks FastAPI's ``request_response`` puts in the
        scope), with Apus solving the dependencies: what a custom route class's
        ``super().get_route_handler()`` returns, and what runs inside the app's middleware
        stack. The request's body is read from the request (the class may have replaced it)."""
        tree = self.plans.current()
        fast = None
        if self.fast is not None and type(request) is Request:
            # Starlette's own Request reads its parameters from the scope, as the fast lane
            # does; a class's own Request (one that overrides how it reads them) goes the full way.
            fast = self._fast_arguments(tree, _ScopeParts(request.scope))
        if not (tree.runs_async or self.endpoint_is_async or self.form_body) and CLEANUP_AFTER_SEND:
            return await self._handle_sync_tree(request, tree, fast)
        return await self._handler(tree, fast, whole=True)(request)

    async def _handle_sync_tree(self, request, tree, fast):
        """``request_handler`` for a tree of sync steps and a sync endpoint: solved, called and
        answered in one trip to an executor thread, where FastAPI makes one to anyio's threads
        per step. Its ``yield`` dependencies are entered there, on ``ExitStack``s that the
        scope's exit stacks close on an executor thread when they close (one trip each)."""
        body = None
        if fast is None and self.body_field is not None:
            body = await request.body()
        solving = Solving(request, tree, self.embed_body_fields, fast)
        if tree.has_generators:
            # Each an ExitStack, itself a sync context manager: exited on an executor thread as
            # the scope's stack closes, as a sync `yield` dependency is on the asyncio thread.
            scope = request.scope
            to_executor = self.runner.to_executor
            solving.request_stack = ExitStack()
            scope["fastapi_inner_astack"].push_async_exit(OnExecutor(solving.request_stack, to_executor))
            solving.function_stack = solving.request_stack
            if tree.exits_before_send:
                solving.function_stack = ExitStack()
                scope["fastapi_function_astack"].push_async_exit(OnExecutor(solving.function_stack, to_executor))
        return await self.runner.to_executor(self._answer_sync_tree, solving, tree, body)

    def _answer_sync_tree(self, solving, tree, body):
        if body is not None:
            self._read_body(solving, body)
        values, errors = solve_sync(tree, solving)
        if errors:
            raise self._validation_error(errors, solving)
        return self._response(copy_context().run(self.endpoint, **values), solving)

    def _handler(self, tree, fast, whole):
        """``handle(request)``, as FastAPI's handler for the route with this tree: within exit
        stacks the caller made (FastAPI 0.118+), or its own (before 0.118, as FastAPI's own
        handler made them). ``whole``: always a ``Response`` (else a plain answer may be the
        runtime's message)."""
        if CLEANUP_AFTER_SEND or not (tree.has_generators or self.form_body):
            async def handle(request):
                solving = Solving(request, tree, self.embed_body_fields, fast, self.runner.to_executor)
                solving.request_stack = request.scope.get("fastapi_inner_astack")
                solving.function_stack = request.scope.get("fastapi_function_astack", solving.request_stack)
                response, errors = await self._handle_async(solving, tree, whole)
                if errors:
                    raise self._validation_error(errors, solving)
                return response
            return handle

        async def handle_before_0_118(request):
            solving = Solving(request, tree, self.embed_body_fields, fast, self.runner.to_executor)
            response = errors = None
            async with AsyncExitStack() as file_stack:  # a form's files, closed last
                request.scope["fastapi_middleware_astack"] = file_stack
                async with AsyncExitStack() as stack:
                    solving.request_stack = solving.function_stack = stack
                    response, errors = await self._handle_async(solving, tree, whole)
                if errors:
                    raise self._validation_error(errors, solving)
            if response is None:
                raise FastAPIError(_NO_RESPONSE)
            return response
        return handle_before_0_118

    async def _handle_async(self, solving, tree, whole):
        if self.form_body:
            await self._read_form(solving)
        elif solving.fast is None and self.body_field is not None:
            self._read_body(solving, await solving.request.body())
        values, errors = await solve_async(tree, solving)
        if errors:
            return None, errors
        if self.endpoint_is_async:
            raw = await self.endpoint(**values)
        else:
            raw = await self.runner.to_executor(self.endpoint, **values)
        if not whole and solving.response is None and solving.background_tasks is None:
            message = self.response.fast_message(raw)
            if message is not None:
                return message, None
        return self._response(raw, solving), None

    # -- steps shared by both ----------------------------------------------------------------

    def _read_body(self, solving, body):
        """The body as FastAPI reads it (``request_body``), its errors raised as FastAPI's."""
        request = solving.request
        try:
            parsed = request_body.parse(body, request.headers.get("content-type"), self.json_without_content_type)
        except Exception as error:  # noqa: BLE001
            raise request_body.error_for(
                error, lambda errors, doc: self._validation_error(errors, solving, body=doc)) from error
        if parsed is not request_body.EMPTY:
            solving.body = parsed

    async def _read_form(self, solving):
        """The form as FastAPI reads it (with the limits the app, its routers and the route set),
        its files closed after the response."""
        request = solving.request
        try:
            form = await (request.form(**self.form_limits) if self.form_limits else request.form())
            request.scope["fastapi_middleware_astack"].push_async_callback(form.close)
        except HTTPException:
            raise
        except Exception as error:  # noqa: BLE001 - as FastAPI: any other failure is a 400
            raise HTTPException(status_code=400, detail="There was an error parsing the body") from error
        solving.body = form

    def _validation_error(self, errors, solving, body=_UNDEFINED):
        if body is _UNDEFINED:
            body = None if solving.body is support.UNDEFINED else solving.body
        return request_body.validation_error(
            errors, body, solving.request, self.response.endpoint_context, self.route_path)

    def _response(self, raw, solving):
        """The response for the endpoint's return value, as FastAPI builds it."""
        if isinstance(raw, Response):
            if raw.background is None:
                raw.background = solving.background_tasks
            return raw
        arguments = {"background": solving.background_tasks}
        sub_response = solving.response
        sub_status = sub_response.status_code if sub_response is not None else None
        status = self.response.status_code if self.response.status_code else sub_status
        if status is not None:
            arguments["status_code"] = status
        if sub_status:
            arguments["status_code"] = sub_status
        response = self.response.build(raw, arguments)
        if sub_response is not None:
            response.headers.raw.extend(sub_response.headers.raw)
        return response


def _form_limits(app, top_route, context):
    """The keyword arguments of ``request.form()`` for a route: the limits of the app's router,
    of the included router (FastAPI 0.164+ sets them in the scope while routing, which plans
    skip), then the route's own, later ones winning."""
    layers = [getattr(app.router, "form_limits", None)]
    if context is not None:
        layers.append(getattr(getattr(top_route, "include_context", None), "form_limits", None))
        layers.append(getattr(context.original_route, "form_limits", None))
    else:
        layers.append(getattr(top_route, "form_limits", None))
    limits = {}
    for layer in layers:
        if layer:
            limits = {**limits, **layer}
    return limits


class _ScopeParts:
    """A request's raw parts as the fast lane reads them, from its scope: inside the app's
    middleware the scope is the one the middleware passed on (what it changed included)."""

    __slots__ = ("path_params", "query_string", "headers")

    def __init__(self, scope):
        self.path_params = scope.get("path_params") or {}
        self.query_string = scope.get("query_string", b"")
        self.headers = scope.get("headers") or ()
