"""Solving an ``InjectionTree`` for one request: what ``solve_dependencies`` does, step by step,
in the same order and with the same rules.

For each step: its own steps first; a step whose own steps had errors is not called (its errors
are collected and the next step goes on); a step is looked up in the cache after its
parameters were validated (so a cached step's parameters still report their errors), and its
value is stored under its key even with ``use_cache=False`` when the key is new; then the step's
own path, query, header and cookie parameters, its body fields, and its special parameters.

``solve_sync`` runs on an executor thread (a tree without async steps): sync calls are made
here, and a ``yield`` dependency is entered here on an ``ExitStack``, each in a copy of the
context, as anyio's thread pool runs them for FastAPI. ``solve_async`` runs on the
asyncio thread: coroutines are awaited; sync calls, and a sync ``yield`` dependency's entry and
exit, go to the runtime's executor threads (where FastAPI sends them to anyio's thread pool); an
async ``yield`` dependency is entered on the exit stack as FastAPI enters it."""
from contextvars import copy_context

from fastapi.background import BackgroundTasks
from fastapi.dependencies import utils as dependency_utils
from fastapi.security import SecurityScopes
from starlette.responses import Response

from . import support
from .runner import drive
from .injection import CALL_ASYNC, CALL_SYNC, GENERATOR_ASYNC, GENERATOR_SYNC

request_params_to_args = dependency_utils.request_params_to_args
request_body_to_args = dependency_utils.request_body_to_args


class Solving:
    """One request's solving: the cache, the sub-``Response`` and ``BackgroundTasks`` the whole
    tree shares, the exit stacks ``yield`` dependencies enter, and where parameters come from —
    the ``Request`` (validated by FastAPI's helpers), or ``fast``: every step's values, read
    ahead by the fast lane (see ``fast_arguments``)."""

    __slots__ = ("request", "body", "fast", "embed_body_fields", "to_executor", "cache", "response",
                 "background_tasks", "request_stack", "function_stack")

    def __init__(self, request, tree, embed_body_fields, fast=None, to_executor=None):
        """``to_executor``: how sync work leaves the asyncio thread (``Runner.to_executor``)."""
        self.request = request
        self.to_executor = to_executor
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


_FAILED = object()


def _walk(tree, solving):
    """The solving of ``tree``, in one body for both threads: a generator that yields what only
    its driver can do — ``(step, values)``, a step to call; ``(None, step)``, the step's body
    fields to validate — is sent the result, and returns the endpoint's argument values and the
    errors of the whole tree.

    The steps are walked in the order they finish (``InjectionTree.steps``: a step's own steps
    first), which is the order ``solve_dependencies``' recursion validates and calls them in: a
    step's parameters, then the step called unless anything in its subtree failed."""
    solved_by_index = [None] * len(tree.steps)
    errors = []
    cache = solving.cache
    root = tree.root
    for step in tree.steps:
        values = {}
        failed = False
        for sub in step.steps:
            solved = solved_by_index[sub.index]
            if solved is _FAILED:
                failed = True
            elif sub.name is not None:
                values[sub.name] = solved
        known_errors = len(errors)
        _own_parameters(step, solving, values, errors)
        if step.body_params:
            found, body_errors = yield None, step
            values.update(found)
            errors.extend(body_errors)
        if step is root:
            return values, errors
        if failed or len(errors) > known_errors:
            solved_by_index[step.index] = _FAILED
            continue
        key = step.cache_key
        if step.use_cache and key in cache:
            solved = cache[key]
        else:
            solved = yield step, values
        solved_by_index[step.index] = solved
        if key not in cache:
            cache[key] = solved


def solve_sync(tree, solving):
    """The endpoint's argument values and the errors of the whole tree, on this thread."""
    walk = _walk(tree, solving)
    try:
        asked = walk.send(None)
        while True:
            asked = walk.send(_answer_sync(asked, solving))
    except StopIteration as done:
        return done.value


def _answer_sync(asked, solving):
    sub, values = asked
    if sub is None:
        return drive(request_body_to_args(
            body_fields=values.body_params, received_body=solving.body, embed_body_fields=solving.embed_body_fields))
    if sub.kind == CALL_SYNC:
        return copy_context().run(sub.call, **values)
    if sub.kind == GENERATOR_SYNC:
        stack = solving.function_stack if sub.function_scope else solving.request_stack
        return stack.enter_context(InCopiedContexts(sub.manager(**values)))
    raise RuntimeError(f"an async step ({sub.call!r}) in a sync plan")


async def solve_async(tree, solving):
    """``solve_sync`` on the asyncio thread."""
    walk = _walk(tree, solving)
    try:
        asked = walk.send(None)
        while True:
            sub, values = asked
            if sub is not None and sub.kind == CALL_ASYNC:  # the common step, awaited here
                asked = walk.send(await sub.call(**values))
            else:
                asked = walk.send(await _answer_async(asked, solving))
    except StopIteration as done:
        return done.value


async def _answer_async(asked, solving):
    sub, values = asked
    if sub is None:
        return await request_body_to_args(
            body_fields=values.body_params, received_body=solving.body, embed_body_fields=solving.embed_body_fields)
    if sub.kind == CALL_ASYNC:
        return await sub.call(**values)
    if sub.kind == CALL_SYNC:
        return await solving.to_executor(sub.call, **values)
    stack = solving.function_stack if sub.function_scope else solving.request_stack
    if sub.kind == GENERATOR_ASYNC:
        # As FastAPI enters it, but for the shield FastAPI 0.165 puts around its exit: a plan's
        # task is never cancelled, so there is no cancellation to shield it from.
        return await stack.enter_async_context(sub.manager(**values))
    return await stack.enter_async_context(OnExecutor(sub.manager(**values), solving.to_executor))


class InCopiedContexts:
    """A sync ``yield`` dependency's context manager, entered and exited each in a copy of the
    context, as FastAPI's thread-pool calls run them: what the dependency sets in a context
    variable is not seen by the steps after it."""

    __slots__ = ("manager",)

    def __init__(self, manager):
        self.manager = manager

    def __enter__(self):
        return copy_context().run(self.manager.__enter__)

    def __exit__(self, kind, error, traceback):
        return copy_context().run(self.manager.__exit__, kind, error, traceback)


class OnExecutor:
    """A sync context manager (a sync ``yield`` dependency's, or an ``ExitStack`` of them)
    entered and exited on executor threads: FastAPI's ``contextmanager_in_threadpool`` (the exit
    told of an ``Exception`` only, as it tells it), on the runtime's threads."""

    __slots__ = ("manager", "to_executor")

    def __init__(self, manager, to_executor):
        self.manager = manager
        self.to_executor = to_executor

    async def __aenter__(self):
        return await self.to_executor(self.manager.__enter__)

    async def __aexit__(self, kind, error, traceback):
        if error is None:
            await self.to_executor(self.manager.__exit__, None, None, None)
            return False
        if not isinstance(error, Exception):
            return False  # FastAPI's helper lets a BaseException through without the generator
        return bool(await self.to_executor(self.manager.__exit__, kind, error, traceback))


def _own_parameters(step, solving, values, errors):
    """A step's path, query, header and cookie parameters (in FastAPI's order) and its special
    parameters."""
    request = solving.request
    if solving.fast is not None:
        read_ahead = solving.fast[step.index]
        if read_ahead:
            values.update(read_ahead)
    else:
        for fields, source in step.parameter_groups:
            found, failed = request_params_to_args(fields, getattr(request, source))
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
