"""Python functions: loaded in-process and run as native plans.

A handler whose first parameter is ``event`` is an event handler (FastFN's contract, see
``event``); its other named parameters get the route parameters of the same name, and a
``**kwargs`` parameter gets them all. Any other handler is a FastAPI endpoint: typed parameters
and a return type, built into a real FastAPI route (``app``), with FastAPI's validation, 422s
and OpenAPI.

A function's folder is put first on ``sys.path``, after its own ``.deps`` (its
``requirements.txt``, installed there), so it can import its helpers and its dependencies."""
import collections.abc
import hashlib
import importlib.util
import inspect
import os
import sys
import threading
import traceback
import typing

from .. import _asyncio_host
from .._contract import Body, Error, new
from . import event as events


_JSON_RAW_HEADERS = [(b"content-type", b"application/json")]


class LoadError(Exception):
    """A function file that cannot be loaded (a syntax error, a missing handler)."""


def load_module(spec):
    """Imports ``spec.file`` afresh, under a name of its own."""
    for folder in (spec.folder, os.path.join(spec.folder, ".deps")):
        if os.path.isdir(folder) and folder not in sys.path:
            sys.path.insert(0, folder)
    digest = hashlib.sha1(spec.file.encode()).hexdigest()[:12]
    name = f"apus_function_{digest}"
    module_spec = importlib.util.spec_from_file_location(name, spec.file)
    module = importlib.util.module_from_spec(module_spec)
    try:
        # Compiled from the source each time, never from a cached .pyc: an edit within the same
        # second that keeps the file's size would pass the cache's check.
        with open(spec.file, "rb") as source:
            code = compile(source.read(), spec.file, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except BaseException as error:  # noqa: BLE001 - reported with the file, the old version keeps serving
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        raise LoadError(f"{spec.relative_file}: {detail}") from error
    sys.modules[name] = module
    return module


def find_handler(module, spec):
    name = spec.config.handler
    handler = getattr(module, name, None)
    if handler is None and name == "handler":
        handler = getattr(module, "main", None)  # FastFN's fallback
    if not callable(handler):
        raise LoadError(f"{spec.relative_file}: no function {name}() (or main())")
    return handler


# Annotations that say "this parameter is the event" (a mapping), as written or as strings.
_EVENT_ANNOTATIONS = {dict, typing.Any, collections.abc.Mapping, collections.abc.MutableMapping}
_EVENT_ANNOTATION_NAMES = {"dict", "Dict", "Any", "Mapping", "MutableMapping", "typing.Any", "typing.Dict"}


def is_event_handler(handler):
    """Whether ``handler`` takes FastFN's event: its first parameter is positional and is the
    event whatever its name (``event``, ``_event``, ``req``), unless a type other than a mapping
    annotates it, which makes the handler a typed one (``def handler(id: int)``: a FastAPI
    endpoint)."""
    parameters = list(inspect.signature(handler).parameters.values())
    if not parameters or parameters[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
        return False
    first = parameters[0]
    annotation = first.annotation
    if first.name == "event" or annotation is inspect.Parameter.empty:
        return True
    if isinstance(annotation, str):
        return annotation.split("[", 1)[0].strip() in _EVENT_ANNOTATION_NAMES
    return annotation in _EVENT_ANNOTATIONS or typing.get_origin(annotation) in _EVENT_ANNOTATIONS


class EventCall:
    """Calls an event handler with the event and the route parameters it names. ``target``
    takes the event: the handler itself when it names no parameter (one Python call less per
    request), else ``with_params``, which adds them."""

    def __init__(self, handler):
        self.handler = handler
        parameters = list(inspect.signature(handler).parameters.values())[1:]
        self.takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
        self.names = frozenset(p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD)
        self.is_async = inspect.iscoroutinefunction(handler)
        self.target = self.with_params if self.takes_all or self.names else handler

    def with_params(self, event):
        """The handler's result for ``event``, its route parameters as keyword arguments."""
        if self.takes_all:
            return self.handler(event, **event["params"])
        if self.names:
            params = event["params"]
            return self.handler(event, **{name: value for name, value in params.items() if name in self.names})
        return self.handler(event)


class ConcurrencyGate:
    """A function's ``max_concurrency``, as FastFN gates it: past it, a request waits in a queue
    of ``worker_pool.max_queue`` places for up to ``queue_timeout_ms`` (0: the function's
    ``timeout_ms``), else it gets the overflow status. ``async def`` handlers do not wait (the
    asyncio loop must not block): past the limit they get the overflow status at once."""

    def __init__(self, config):
        pool = config.worker_pool
        self.limit = config.max_concurrency
        self.queue = pool["max_queue"]
        self.wait_seconds = (pool["queue_timeout_ms"] or config.timeout_ms) / 1000
        self.overflow_status = pool["overflow_status"]
        # A token per request that may run. list.pop and list.append are each atomic under the
        # GIL and cost a fraction of a lock taken on every request; the lock and its condition
        # serve only requests that wait (``waiting`` changes only under the lock).
        self.tokens = [None] * self.limit
        self.waiting = 0
        self.lock = threading.Lock()
        self.condition = threading.Condition(self.lock)

    def enter(self, may_wait):
        """True once the request may run; False: answer the overflow status."""
        if self._take():
            return True
        if not may_wait:
            return False
        with self.lock:
            if self.waiting >= self.queue:
                return False
            self.waiting += 1
            try:
                # A token given back after the failed take above: either the predicate's first
                # check sees it, or its giver saw ``waiting`` and notifies under the lock.
                return self.condition.wait_for(self._take, self.wait_seconds)
            finally:
                self.waiting -= 1

    def _take(self):
        try:
            self.tokens.pop()
            return True
        except IndexError:
            return False

    def leave(self):
        self.tokens.append(None)
        if self.waiting:
            with self.lock:
                self.condition.notify()


class FunctionPlan:
    """An event handler's plan, called with the request's event: the handler is called (``def``
    on an executor thread, ``async def`` on the asyncio thread), and its result answered as
    FastFN answers it. A handler that raises gets a 500 ``{"error": "internal server error"}``
    (the exception's message under ``apus dev``) and its traceback in the log; past ``max_concurrency``, the gate answers (``ConcurrencyGate``).

    The runtime builds each event (``make_event``'s, field for field) from ``event_context``
    (its ``request_id`` filled per event) and ``event_env``, which every event of the function
    shares, and calls ``run(event, body_size, native)``: the body is in the event already, and
    one over ``max_body_bytes``, which ``run`` refuses, is left out of it."""

    kind = "function"

    def __init__(self, function, call):
        self.function = function
        self.call = call.target
        self.runs_async = call.is_async
        self.gate = ConcurrencyGate(function.config)
        self.event_context = {"request_id": None, **function.context}
        self.event_env = function.env
        self.max_body_bytes = function.max_body_bytes

    def _message(self, status, headers, body):
        if headers is events._JSON_HEADERS:
            return new(Body, (status, _JSON_RAW_HEADERS, body, False, None))
        return new(Body, (status, [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers], body, False, None))

    def _failed(self, native, error):
        native(Error(error, f"in function {self.function.name}:\n" + "".join(traceback.format_exception(error)), True))
        shown = (str(error) or type(error).__name__) if self.function.development else events.INTERNAL_ERROR
        return self._message(*events.error_parts(500, shown))

    def _refused(self, body_size):
        """The answer before the handler runs (too large a body, no room), or None."""
        if body_size > self.max_body_bytes:
            return self._message(*events.error_parts(413, "payload too large"))
        if not self.gate.enter(may_wait=not self.runs_async):
            return self._message(*events.error_parts(self.gate.overflow_status, "worker pool overflow"))
        return None

    def run(self, event, body_size, native):
        refused = self._refused(body_size)
        if refused is not None:
            return refused
        try:
            return self._message(*events.response_parts(self.call(event)))
        except BaseException as error:  # noqa: BLE001 - any failure is this request's 500
            return self._failed(native, error)
        finally:
            self.gate.leave()

    def start(self, event, body_size, native):
        _asyncio_host.start(self._run_async(event, body_size, native))

    async def _run_async(self, event, body_size, native):
        refused = self._refused(body_size)
        if refused is not None:
            native(refused)
            return
        try:
            message = self._message(*events.response_parts(await self.call(event)))
        except BaseException as error:  # noqa: BLE001
            message = self._failed(native, error)
        finally:
            self.gate.leave()
        native(message)
