"""Injected plans: routes with dependencies, executed by Apus from their ``InjectionTree``.

Per request, what FastAPI's request handler and ``solve_dependencies`` do, without either: the
body read as FastAPI reads it; each step of the tree in FastAPI's order (its own steps first,
errors collected and the call skipped, the cache consulted after its parameters are validated,
the value stored under its key even with ``use_cache=False``); the parameters validated by each
field's own validation (FastAPI's ``request_params_to_args`` and ``request_body_to_args``); the
errors of every source raised as one ``RequestValidationError``; the endpoint; the response
built as FastAPI builds it (the sub-``Response``'s status and headers, background tasks, the
route's serialization and response class).

Where it runs:
- a tree whose steps and endpoint are all sync runs on an executor thread from start to end:
  sync dependencies are called directly, sync ``yield`` dependencies are entered and exited on
  that thread, and the asyncio loop is never touched (but for an async background task or a
  streamed response body);
- a tree with any coroutine or async generator runs on the asyncio thread, as one task, so that
  an async generator's exit runs in the task that entered it; its sync steps go to the thread
  pool, as FastAPI sends them.

``yield`` cleanup follows the installed FastAPI: on 0.118+, a dependency with
``Depends(scope="function")`` exits before the response is sent, any other after the body and
the background tasks; before 0.118, every one exits before the response is sent."""
from contextlib import AsyncExitStack, ExitStack, contextmanager
import inspect
import json

from fastapi.background import BackgroundTasks
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies import utils as dependency_utils
from fastapi import params
from fastapi.exceptions import FastAPIError, HTTPException, RequestValidationError
from fastapi.security import SecurityScopes
from starlette.background import BackgroundTask
from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .. import _asyncio_host
from .._asgi_host import run_app
from . import support
from .direct_plan import is_json_content_type
from .executor import RESPONSE_NOT_AWAITED, drive, on_loop, run_with_stacks
from .handler_plan import select_route
from .injection import CALL_ASYNC, CALL_SYNC, GENERATOR_SYNC, InjectionPlans, is_coroutine_callable

# FastAPI 0.118 moved `yield` cleanup after the response (and added `Depends(scope=)` in 0.121).
CLEANUP_AFTER_SEND = support.FASTAPI_VERSION >= (0, 118, 0)
_NO_RESPONSE = (
    "No response object was returned. There's a high chance that the application code is raising an exception and "
    "a dependency with yield has a block with a bare except, or a block with except Exception, and is not raising "
    "the exception again. Read more about it in the docs: "
    "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/#dependencies-with-yield-and-except")

_solve_generator = getattr(dependency_utils, "_solve_generator", None) or dependency_utils.solve_generator
_SOLVE_GENERATOR_PARAMETERS = frozenset(inspect.signature(_solve_generator).parameters)
_UNDEFINED = object()


class _Solving:
    """One request's solving: the cache, the sub-``Response`` and ``BackgroundTasks`` the whole
    tree shares, and the exit stacks ``yield`` dependencies enter."""

    __slots__ = ("request", "body", "cache", "response", "background_tasks", "request_stack", "function_stack")

    def __init__(self, request, tree):
        self.request = request
        self.body = support.MISSING_BODY
        self.cache = {}
        self.background_tasks = None
        self.response = None
        if tree.uses_response:
            response = Response()
            del response.headers["content-length"]
            response.status_code = None
            self.response = response
        self.request_stack = None
        self.function_stack = None


class InjectedPlan:
    kind = "injected"

    def __init__(self, runner, top_route, context=None):
        self.runner = runner
        self.top_route = top_route
        self.context = context
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
        strict = getattr(spec, "strict_content_type", None)
        if isinstance(strict, DefaultPlaceholder):
            strict = strict.value
        # FastAPI < 0.132 reads a body without a content type as JSON.
        self.json_without_content_type = strict is None or not strict
        self.status_code = spec.status_code
        response_class = spec.response_class
        default_class = isinstance(response_class, DefaultPlaceholder)
        self.response_class = response_class.value if default_class else response_class
        response_field = spec.response_field
        self.dump_json = support.SERIALIZE_HAS_DUMP_JSON and response_field is not None and default_class
        self.serialize_options = dict(
            field=response_field,
            include=spec.response_model_include,
            exclude=spec.response_model_exclude,
            by_alias=spec.response_model_by_alias,
            exclude_unset=spec.response_model_exclude_unset,
            exclude_defaults=spec.response_model_exclude_defaults,
            exclude_none=spec.response_model_exclude_none,
            is_coroutine=True,  # validate on this thread
        )
        if support.SERIALIZE_HAS_DUMP_JSON:
            self.serialize_options["dump_json"] = self.dump_json
        self._endpoint_context = _UNDEFINED

    # -- entry points ----------------------------------------------------------------------

    def run(self, request_parts, body, native):
        """A tree of sync steps, on an executor thread."""
        cycle = self.runner.new_cycle(request_parts, body, native)
        try:
            if not select_route(cycle.scope, self.top_route, self.context):
                # The runtime's table and the route disagree: the app decides.
                on_loop(run_app(self.runner.app, cycle))
                return
            request = Request(cycle.scope, cycle.receive, cycle.send)
            request._body = body
            tree = self.plans.current()
            if tree.runs_async:  # an override made a step async
                on_loop(self._run_async(cycle, request, tree))
            else:
                self._run_sync(cycle, request, tree)
        except BaseException as exc:  # noqa: BLE001 - every exception is answered or reported
            self.runner.report(cycle, exc)
        finally:
            cycle.close()

    def start(self, request_parts, body, native):
        """A tree with async steps, on the asyncio thread."""
        cycle = self.runner.new_cycle(request_parts, body, native)
        _asyncio_host.start(self._start(cycle, body))
        return cycle

    async def _start(self, cycle, body):
        try:
            if not select_route(cycle.scope, self.top_route, self.context):
                await run_app(self.runner.app, cycle)
                return
            request = Request(cycle.scope, cycle.receive, cycle.send)
            request._body = body
            await self._run_async(cycle, request, self.plans.current())
        except BaseException as exc:  # noqa: BLE001
            self.runner.report(cycle, exc)
        finally:
            cycle.close()

    # -- sync ------------------------------------------------------------------------------

    def _run_sync(self, cycle, request, tree):
        """What ``run_with_stacks`` does around FastAPI's handler, with exit stacks of sync
        context managers on this thread."""
        runner = self.runner
        try:
            solving = _Solving(request, tree)
            if CLEANUP_AFTER_SEND:
                sent = False
                with ExitStack() as request_stack:
                    solving.request_stack = request_stack
                    with ExitStack() as function_stack:
                        solving.function_stack = function_stack
                        response, errors = self._handle_sync(solving, tree)
                        if errors:
                            raise self._validation_error(errors, solving)
                    self._send_sync(response, cycle)
                    sent = True
                if not sent:
                    raise FastAPIError(RESPONSE_NOT_AWAITED)
            else:
                response = errors = None
                with ExitStack() as stack:
                    solving.request_stack = solving.function_stack = stack
                    response, errors = self._handle_sync(solving, tree)
                if errors:
                    raise self._validation_error(errors, solving)
                if response is None:
                    raise FastAPIError(_NO_RESPONSE)
                self._send_sync(response, cycle)
        except BaseException as exc:  # noqa: BLE001 - every exception is answered or reported
            if cycle.started:
                runner.report(cycle, exc)
                return
            try:
                response, unhandled = runner.error_response_sync(request, exc)
                if unhandled:
                    cycle.answer_outside_middleware()
                if response is not None:
                    self._send_sync(response, cycle)
            except BaseException as failure:  # noqa: BLE001
                runner.report(cycle, failure)
                return
            if unhandled:
                runner.report(cycle, exc)
                return
        cycle.release()

    def _handle_sync(self, solving, tree):
        """The response (None with errors) and the validation errors."""
        self._read_body(solving)
        values, errors = self._solve_sync(tree.root, solving)
        if errors:
            return None, errors
        raw = self.endpoint(**values)
        return self._response(raw, solving), None

    def _solve_sync(self, step, solving):
        values = {}
        errors = []
        cache = solving.cache
        for sub in step.steps:
            sub_values, sub_errors = self._solve_sync(sub, solving)
            if sub_errors:
                errors.extend(sub_errors)
                continue
            key = sub.cache_key
            if sub.use_cache and key in cache:
                solved = cache[key]
            elif sub.kind == CALL_SYNC:
                solved = sub.call(**sub_values)
            elif sub.kind == GENERATOR_SYNC:
                stack = solving.function_stack if sub.function_scope else solving.request_stack
                solved = stack.enter_context(contextmanager(sub.call)(**sub_values))
            else:
                raise RuntimeError(f"an async step ({sub.call!r}) in a sync plan")
            if sub.name is not None:
                values[sub.name] = solved
            if key not in cache:
                cache[key] = solved
        _own_parameters(step, solving, values, errors)
        if step.body_params:
            found, failed = drive(dependency_utils.request_body_to_args(
                body_fields=step.body_params, received_body=solving.body, embed_body_fields=self.embed_body_fields))
            values.update(found)
            errors.extend(failed)
        return values, errors

    def _send_sync(self, response, cycle):
        """Sends a response from this thread, then runs its background tasks here (an async
        task on the loop, waited for)."""
        if response is None:
            raise RuntimeError("the exception handler returned no response")
        if not support.is_plain_response(response):
            on_loop(response(cycle.scope, cycle.receive, cycle.send))
            return
        cycle.respond(response.status_code, response.raw_headers, response.body)
        background = response.background
        if background is not None:
            _run_background_sync(background)

    # -- async -----------------------------------------------------------------------------

    async def _run_async(self, cycle, request, tree):
        if CLEANUP_AFTER_SEND:
            async def handle(request):
                solving = _Solving(request, tree)
                solving.request_stack = request.scope["fastapi_inner_astack"]
                solving.function_stack = request.scope.get("fastapi_function_astack", solving.request_stack)
                response, errors = await self._handle_async(solving, tree)
                if errors:
                    raise self._validation_error(errors, solving)
                return response
        else:
            async def handle(request):
                solving = _Solving(request, tree)
                response = errors = None
                async with AsyncExitStack() as file_stack:  # a form's files, closed last
                    request.scope["fastapi_middleware_astack"] = file_stack
                    async with AsyncExitStack() as stack:
                        solving.request_stack = solving.function_stack = stack
                        response, errors = await self._handle_async(solving, tree)
                    if errors:
                        raise self._validation_error(errors, solving)
                if response is None:
                    raise FastAPIError(_NO_RESPONSE)
                return response
        await run_with_stacks(self.runner, cycle, request, handle)

    async def _handle_async(self, solving, tree):
        if self.form_body:
            await self._read_form(solving)
        else:
            self._read_body(solving)
        values, errors = await self._solve_async(tree.root, solving)
        if errors:
            return None, errors
        if self.endpoint_is_async:
            raw = await self.endpoint(**values)
        else:
            raw = await run_in_threadpool(self.endpoint, **values)
        return self._response(raw, solving), None

    async def _solve_async(self, step, solving):
        values = {}
        errors = []
        cache = solving.cache
        for sub in step.steps:
            sub_values, sub_errors = await self._solve_async(sub, solving)
            if sub_errors:
                errors.extend(sub_errors)
                continue
            key = sub.cache_key
            if sub.use_cache and key in cache:
                solved = cache[key]
            elif sub.kind == CALL_ASYNC:
                solved = await sub.call(**sub_values)
            elif sub.kind == CALL_SYNC:
                solved = await run_in_threadpool(sub.call, **sub_values)
            else:
                stack = solving.function_stack if sub.function_scope else solving.request_stack
                solved = await _enter_generator(sub, stack, sub_values, solving.request)
            if sub.name is not None:
                values[sub.name] = solved
            if key not in cache:
                cache[key] = solved
        _own_parameters(step, solving, values, errors)
        if step.body_params:
            found, failed = await dependency_utils.request_body_to_args(
                body_fields=step.body_params, received_body=solving.body, embed_body_fields=self.embed_body_fields)
            values.update(found)
            errors.extend(failed)
        return values, errors

    # -- steps shared by both ----------------------------------------------------------------

    @property
    def endpoint_context(self):
        """FastAPI's context of the endpoint for error messages, made when first needed."""
        if self._endpoint_context is _UNDEFINED:
            extract = support.extract_endpoint_context
            self._endpoint_context = extract(self.endpoint) if extract is not None else None
        return self._endpoint_context

    def _read_body(self, solving):
        """The body as FastAPI reads it (JSON for JSON types, else the bytes; nothing when
        empty); its errors raised as FastAPI raises them."""
        if self.body_field is None:
            return
        body = solving.request._body
        if not body:
            return
        content_type = solving.request.headers.get("content-type")
        is_json = self.json_without_content_type if not content_type else is_json_content_type(content_type)
        if not is_json:
            solving.body = body
            return
        try:
            solving.body = json.loads(body)
        except json.JSONDecodeError as error:
            raise self._validation_error([{
                "type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error",
                "input": {}, "ctx": {"error": error.msg}}], solving, body=error.doc) from error
        except Exception as error:  # noqa: BLE001 - as FastAPI: any other failure is a 400
            raise HTTPException(status_code=400, detail="There was an error parsing the body") from error

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
            body = solving.body
            if body is support.UNDEFINED:
                body = None
        if support.VALIDATION_ERROR_HAS_ENDPOINT_CTX:
            context = dict(self.endpoint_context or {})
            mount_path = solving.request.scope.get("root_path", "").rstrip("/")
            context["path"] = f"{solving.request.method} {mount_path}{self.route_path}"
            return RequestValidationError(errors, body=body, endpoint_ctx=context)
        return RequestValidationError(errors, body=body)

    def _response(self, raw, solving):
        """The response for the endpoint's return value, as FastAPI builds it."""
        if isinstance(raw, Response):
            if raw.background is None:
                raw.background = solving.background_tasks
            return raw
        arguments = {"background": solving.background_tasks}
        sub_response = solving.response
        sub_status = sub_response.status_code if sub_response is not None else None
        status = self.status_code if self.status_code else sub_status
        if status is not None:
            arguments["status_code"] = status
        if sub_status:
            arguments["status_code"] = sub_status
        if support.SERIALIZE_HAS_ENDPOINT_CTX:
            content = drive(support.serialize_response(
                response_content=raw, endpoint_ctx=self.endpoint_context, **self.serialize_options))
        else:
            content = drive(support.serialize_response(response_content=raw, **self.serialize_options))
        if self.dump_json:
            response = Response(content=content, media_type="application/json", **arguments)
        else:
            response = self.response_class(content, **arguments)
        if not support.is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        if sub_response is not None:
            response.headers.raw.extend(sub_response.headers.raw)
        return response


def _own_parameters(step, solving, values, errors):
    """A step's path, query, header and cookie parameters (in FastAPI's order) and its special
    parameters."""
    request = solving.request
    if step.path_params:
        found, failed = dependency_utils.request_params_to_args(step.path_params, request.path_params)
        values.update(found)
        errors.extend(failed)
    if step.query_params:
        found, failed = dependency_utils.request_params_to_args(step.query_params, request.query_params)
        values.update(found)
        errors.extend(failed)
    if step.header_params:
        found, failed = dependency_utils.request_params_to_args(step.header_params, request.headers)
        values.update(found)
        errors.extend(failed)
    if step.cookie_params:
        found, failed = dependency_utils.request_params_to_args(step.cookie_params, request.cookies)
        values.update(found)
        errors.extend(failed)
    if step.http_connection_name:
        values[step.http_connection_name] = request
    if step.request_name:
        values[step.request_name] = request
    if step.background_tasks_name:
        if solving.background_tasks is None:
            solving.background_tasks = BackgroundTasks()
        values[step.background_tasks_name] = solving.background_tasks
    if step.response_name:
        values[step.response_name] = solving.response
    if step.security_scopes_name:
        values[step.security_scopes_name] = SecurityScopes(scopes=list(step.security_scopes))


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


async def _enter_generator(step, stack, values, request):
    """A ``yield`` dependency entered on ``stack`` by the installed FastAPI's own helper (an
    async generator's exit shielded as that version shields it; a sync one in the thread
    pool)."""
    arguments = {"stack": stack, "sub_values": values}
    if "dependant" in _SOLVE_GENERATOR_PARAMETERS:
        arguments["dependant"] = step.dependant
    if "call" in _SOLVE_GENERATOR_PARAMETERS:
        arguments["call"] = step.call
    if "request" in _SOLVE_GENERATOR_PARAMETERS:
        arguments["request"] = request
    return await _solve_generator(**arguments)


# Task lists that only run their tasks in order (FastAPI's adds a telemetry span per task, a
# no-op here: an app with telemetry enabled gets no plans).
_PLAIN_TASK_LISTS = (StarletteBackgroundTasks.__call__, BackgroundTasks.__call__)


def _run_background_sync(background):
    """Starlette's background tasks, on this thread: sync tasks called here, async ones on the
    loop (waited for); a background object of another kind is awaited on the loop whole."""
    kind = type(background)
    if kind.__call__ is BackgroundTask.__call__:
        tasks = [background]
    elif kind.__call__ in _PLAIN_TASK_LISTS:
        tasks = background.tasks  # tasks added while running run too, as in Starlette
    else:
        on_loop(background())
        return
    for task in tasks:
        if type(task).__call__ is not BackgroundTask.__call__:
            on_loop(task())
        elif task.is_async:
            on_loop(task.func(*task.args, **task.kwargs))
        else:
            task.func(*task.args, **task.kwargs)
