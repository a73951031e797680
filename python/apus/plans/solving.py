"""Solving an ``InjectionTree`` for one request: what ``solve_dependencies`` does, step by step,
in the same order and with the same rules.

For each step: its own steps first (recursively); a step whose own steps had errors is not called
(its errors are collected and the next step goes on); a step is looked up in the cache after its
parameters were validated (so a cached step's parameters still report their errors), and its
value is stored under its key even with ``use_cache=False`` when the key is new; then the step's
own path, query, header and cookie parameters, its body fields, and its special parameters.

``solve_sync`` runs on an executor thread (a tree without async steps): sync calls are made
here, and a ``yield`` dependency is entered here on an ``ExitStack``. ``solve_async`` runs on the
asyncio thread: coroutines are awaited, sync calls go to the thread pool, a sync ``yield``
dependency is entered by the installed FastAPI's own helper (in its thread pool), an async one
on the exit stack as FastAPI enters it."""
import inspect

from fastapi.background import BackgroundTasks
from fastapi.dependencies import utils as dependency_utils
from fastapi.security import SecurityScopes
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from . import support
from .executor import drive
from .injection import CALL_ASYNC, CALL_SYNC, GENERATOR_ASYNC, GENERATOR_SYNC

_solve_generator = getattr(dependency_utils, "_solve_generator", None) or dependency_utils.solve_generator
_SOLVE_GENERATOR_PARAMETERS = frozenset(inspect.signature(_solve_generator).parameters)
request_params_to_args = dependency_utils.request_params_to_args
request_body_to_args = dependency_utils.request_body_to_args


class Solving:
    """One request's solving: the cache, the sub-``Response`` and ``BackgroundTasks`` the whole
    tree shares, the exit stacks ``yield`` dependencies enter, and where parameters come from —
    the ``Request`` (validated by FastAPI's helpers), or ``fast``: every step's values, read
    ahead by the fast lane (see ``fast_arguments``)."""

    __slots__ = ("request", "body", "fast", "embed_body_fields", "cache", "response", "background_tasks",
                 "request_stack", "function_stack")

    def __init__(self, request, tree, embed_body_fields, fast=None):
        self.request = request
        self.body = support.MISSING_BODY
        self.fast = fast
        self.embed_body_fields = embed_body_fields
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


def solve_sync(step, solving):
    """``step``'s argument values and the errors of its whole subtree."""
    values = {}
    errors = []
    cache = solving.cache
    for sub in step.steps:
        sub_values, sub_errors = solve_sync(sub, solving)
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
            solved = stack.enter_context(sub.manager(**sub_values))
        else:
            raise RuntimeError(f"an async step ({sub.call!r}) in a sync plan")
        if sub.name is not None:
            values[sub.name] = solved
        if key not in cache:
            cache[key] = solved
    _own_parameters(step, solving, values, errors)
    if step.body_params:
        found, failed = drive(request_body_to_args(
            body_fields=step.body_params, received_body=solving.body, embed_body_fields=solving.embed_body_fields))
        values.update(found)
        errors.extend(failed)
    return values, errors


async def solve_async(step, solving):
    """``solve_sync`` on the asyncio thread."""
    values = {}
    errors = []
    cache = solving.cache
    for sub in step.steps:
        sub_values, sub_errors = await solve_async(sub, solving)
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
        elif sub.kind == GENERATOR_ASYNC:
            # As FastAPI enters it, but for the shield FastAPI 0.165 puts around its exit: a
            # plan's task is never cancelled, so there is no cancellation to shield it from.
            stack = solving.function_stack if sub.function_scope else solving.request_stack
            solved = await stack.enter_async_context(sub.manager(**sub_values))
        else:
            stack = solving.function_stack if sub.function_scope else solving.request_stack
            solved = await _enter_generator(sub, stack, sub_values, solving.request)
        if sub.name is not None:
            values[sub.name] = solved
        if key not in cache:
            cache[key] = solved
    _own_parameters(step, solving, values, errors)
    if step.body_params:
        found, failed = await request_body_to_args(
            body_fields=step.body_params, received_body=solving.body, embed_body_fields=solving.embed_body_fields)
        values.update(found)
        errors.extend(failed)
    return values, errors


def _own_parameters(step, solving, values, errors):
    """A step's path, query, header and cookie parameters (in FastAPI's order) and its special
    parameters."""
    request = solving.request
    if solving.fast is not None:
        values.update(solving.fast[step.index])
    else:
        if step.path_params:
            found, failed = request_params_to_args(step.path_params, request.path_params)
            values.update(found)
            errors.extend(failed)
        if step.query_params:
            found, failed = request_params_to_args(step.query_params, request.query_params)
            values.update(found)
            errors.extend(failed)
        if step.header_params:
            found, failed = request_params_to_args(step.header_params, request.headers)
            values.update(found)
            errors.extend(failed)
        if step.cookie_params:
            found, failed = request_params_to_args(step.cookie_params, request.cookies)
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


async def _enter_generator(step, stack, values, request):
    """A ``yield`` dependency entered on ``stack`` by the installed FastAPI's own helper."""
    arguments = {"stack": stack, "sub_values": values}
    if "dependant" in _SOLVE_GENERATOR_PARAMETERS:
        arguments["dependant"] = step.dependant
    if "call" in _SOLVE_GENERATOR_PARAMETERS:
        arguments["call"] = step.call
    if "request" in _SOLVE_GENERATOR_PARAMETERS:
        arguments["request"] = request
    return await _solve_generator(**arguments)
