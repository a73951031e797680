"""Injection plans: a route's dependency tree, compiled once into steps Apus executes itself.

FastAPI builds a ``Dependant`` tree for each route at decoration (and, on 0.137+, for each
context of an included router, with the router's own dependencies first). ``solve_dependencies``
walks that tree on every request: it classifies each callable, computes its cache key, looks up
overrides and recurses. An ``InjectionTree`` does that walk once: each ``Step`` is one
sub-dependant with everything the request needs already decided — its call and how to call it
(sync, async, generator, async generator), its cache key and ``use_cache``, the exit stack a
generator's cleanup belongs to (``Depends(scope=)``), its parameter fields in their groups, its
special parameters (``Request``, ``Response``, ``BackgroundTasks``, ``SecurityScopes``,
``HTTPConnection``) — and its own steps, in FastAPI's order.

``dependency_overrides``: when the provider has overrides, FastAPI rebuilds every sub-dependant
with ``get_dependant`` (the override's call, or the original's) on each request. The tree for a
given set of overrides is the same every time, so it is compiled once per set and kept
(``InjectionPlans.for_overrides``); tests that change overrides between requests get a new tree.

What the tree cannot express is refused with the reason (``NotInjectable``), and the route keeps
FastAPI's own request handler."""
from contextlib import asynccontextmanager, contextmanager
import inspect

from fastapi.dependencies import models as dependency_models
from fastapi.dependencies import utils as dependency_utils

from . import support

# How a step's call is made.
CALL_SYNC = 0
CALL_ASYNC = 1
GENERATOR_SYNC = 2
GENERATOR_ASYNC = 3

_SPECIAL_NAMES = ("request_param_name", "websocket_param_name", "http_connection_param_name",
                  "response_param_name", "background_tasks_param_name", "security_scopes_param_name")


class NotInjectable(Exception):
    """The route keeps FastAPI's request handler; the message says why."""


def _helper(*names):
    for module in (dependency_models, dependency_utils):
        for name in names:
            found = getattr(module, name, None)
            if found is not None:
                return found
    return None


_is_gen_callable = _helper("_is_gen_callable", "is_gen_callable")
_is_async_gen_callable = _helper("_is_async_gen_callable", "is_async_gen_callable")
_is_coroutine_callable = _helper("_is_coroutine_callable", "is_coroutine_callable")
_get_cache_key = getattr(dependency_models, "_get_cache_key", None)
_get_oauth_scopes = getattr(dependency_models, "_get_oauth_scopes", None)
get_dependant = dependency_utils.get_dependant
_GET_DEPENDANT_PARAMETERS = frozenset(inspect.signature(get_dependant).parameters)

MISSING_HELPERS = None if None not in (_is_gen_callable, _is_async_gen_callable, _is_coroutine_callable) else \
    f"FastAPI {'.'.join(map(str, support.FASTAPI_VERSION))} lacks the callable classifiers injection uses"


def is_coroutine_callable(call):
    """Whether FastAPI awaits ``call`` (the installed version's test)."""
    return _is_coroutine_callable(call)


def call_kind(call):
    """How FastAPI calls ``call``: the same classifiers, asked once."""
    if _is_gen_callable(call):
        return GENERATOR_SYNC
    if _is_async_gen_callable(call):
        return GENERATOR_ASYNC
    if _is_coroutine_callable(call):
        return CALL_ASYNC
    return CALL_SYNC


def cache_key(dependant):
    """The key FastAPI caches ``dependant``'s value under, for the installed version."""
    if _get_cache_key is not None:
        return _get_cache_key(dependant=dependant)
    return dependant.cache_key


def security_scopes(dependant):
    """What a ``SecurityScopes`` parameter of ``dependant`` receives."""
    if _get_oauth_scopes is not None:
        return _get_oauth_scopes(dependant=dependant)
    return dependant.security_scopes


class Step:
    """One sub-dependant (or, for the tree's root, the endpoint): what to call, how, with which
    parameters, and its own steps."""

    __slots__ = ("index", "name", "call", "manager", "kind", "function_scope", "use_cache", "cache_key", "steps",
                 "parameter_groups", "path_params", "query_params", "header_params", "cookie_params", "body_params",
                 "request_name", "http_connection_name", "response_name", "background_tasks_name",
                 "security_scopes_name", "security_scopes")

    def __init__(self, dependant, steps, original=None):
        """``dependant``: what runs (an override's, when overridden); ``original``: the
        sub-dependant FastAPI declared, whose name, cache key, ``use_cache`` and scope stand
        (None for the root)."""
        declared = original if original is not None else dependant
        self.index = None  # the step's place in its tree, in the order steps finish
        self.name = declared.name
        self.call = dependant.call
        self.kind = call_kind(dependant.call) if original is not None else None
        # A generator's context manager factory, made once (``contextmanager`` wraps anew on
        # every call, as FastAPI calls it).
        self.manager = None
        if self.kind == GENERATOR_SYNC:
            self.manager = contextmanager(dependant.call)
        elif self.kind == GENERATOR_ASYNC:
            self.manager = asynccontextmanager(dependant.call)
        self.function_scope = getattr(declared, "scope", None) == "function"
        self.use_cache = declared.use_cache
        self.cache_key = cache_key(declared) if original is not None else None
        self.steps = steps
        self.path_params = dependant.path_params or None
        self.query_params = dependant.query_params or None
        self.header_params = dependant.header_params or None
        self.cookie_params = dependant.cookie_params or None
        self.body_params = dependant.body_params or None
        # The groups with fields, in FastAPI's order, with the ``Request`` attribute each is read
        # from.
        self.parameter_groups = [(fields, source) for fields, source in (
            (self.path_params, "path_params"), (self.query_params, "query_params"),
            (self.header_params, "headers"), (self.cookie_params, "cookies")) if fields]
        self.request_name = dependant.request_param_name
        self.http_connection_name = dependant.http_connection_param_name
        self.response_name = dependant.response_param_name
        self.background_tasks_name = dependant.background_tasks_param_name
        self.security_scopes_name = dependant.security_scopes_param_name
        self.security_scopes = security_scopes(dependant) if self.security_scopes_name else None


class InjectionTree:
    """A route's steps under one set of overrides. ``runs_async``: some step or the endpoint is
    a coroutine or an async generator, so the request runs on the asyncio thread."""

    __slots__ = ("root", "steps", "runs_async", "uses_response", "uses_background_tasks", "has_generators",
                 "exits_before_send")

    def __init__(self, root):
        self.root = root
        # Every step once, in the order they finish (a step's own steps first), numbered.
        self.steps = []
        _number(root, self.steps)
        kinds = {CALL_ASYNC if is_coroutine_callable(root.call) else CALL_SYNC}
        specials = set()
        _survey(root, kinds, specials)
        self.runs_async = CALL_ASYNC in kinds or GENERATOR_ASYNC in kinds
        self.uses_response = "response" in specials
        self.uses_background_tasks = "background" in specials
        self.has_generators = GENERATOR_SYNC in kinds or GENERATOR_ASYNC in kinds
        # A `yield` dependency with `Depends(scope="function")`: it exits before the response.
        self.exits_before_send = any(step.function_scope for step in self.steps if step.manager is not None)


def _number(step, steps):
    for sub in step.steps:
        _number(sub, steps)
    step.index = len(steps)
    steps.append(step)


def _survey(step, kinds, specials):
    if step.kind is not None:
        kinds.add(step.kind)
    if step.response_name:
        specials.add("response")
    if step.background_tasks_name:
        specials.add("background")
    for sub in step.steps:
        _survey(sub, kinds, specials)


def compile_tree(dependant, overrides=None):
    """The tree of ``dependant`` (a route's), with ``overrides`` (a provider's non-empty
    ``dependency_overrides``) applied as FastAPI applies them; raises ``NotInjectable``."""
    root = Step(dependant, _compile_steps(dependant, overrides, 0))
    if dependant.websocket_param_name:
        raise NotInjectable("a WebSocket parameter")
    return InjectionTree(root)


_MAX_DEPTH = 64


def _compile_steps(dependant, overrides, depth):
    if depth > _MAX_DEPTH:
        raise NotInjectable("dependencies nested more than 64 deep")
    steps = []
    for sub in dependant.dependencies:
        use = sub
        if overrides:
            use = _rebuilt(sub, overrides.get(sub.call, sub.call))
        if getattr(use, "concurrency", None) is not None or getattr(sub, "concurrency", None) is not None:
            raise NotInjectable("a dependency with max_concurrency")
        if use.websocket_param_name:
            raise NotInjectable("a dependency takes a WebSocket")
        steps.append(Step(use, _compile_steps(use, overrides, depth + 1), original=sub))
    return steps


def _rebuilt(sub, call):
    """``sub`` as ``solve_dependencies`` rebuilds it when the provider has overrides."""
    arguments = {"path": sub.path, "call": call, "name": sub.name}
    if "security_scopes" in _GET_DEPENDANT_PARAMETERS:  # FastAPI < 0.123
        arguments["security_scopes"] = sub.security_scopes
    if "parent_oauth_scopes" in _GET_DEPENDANT_PARAMETERS:
        arguments["parent_oauth_scopes"] = security_scopes(sub)
    if "scope" in _GET_DEPENDANT_PARAMETERS:
        arguments["scope"] = sub.scope
    if "concurrency" in _GET_DEPENDANT_PARAMETERS:
        arguments["concurrency"] = getattr(sub, "concurrency", None)
    return get_dependant(**arguments)


def route_reason(spec):
    """Why ``spec`` (an ``APIRoute``, or an included router's route context) keeps FastAPI's
    request handler, or None."""
    if MISSING_HELPERS is not None:
        return MISSING_HELPERS
    if getattr(spec, "is_json_stream", False) or getattr(spec, "is_sse_stream", False):
        return "a streaming endpoint"
    call = spec.dependant.call
    if inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call):
        return "a generator endpoint"
    if call is None:
        return "no endpoint"
    return None


class InjectionPlans:
    """A route's trees: the one without overrides, built at once, and one per set of overrides
    seen, built on first use (a test suite changes overrides between requests; a served app
    seldom has any)."""

    __slots__ = ("dependant", "provider", "plain", "_by_overrides")

    _KEEP = 32

    def __init__(self, dependant, provider):
        self.dependant = dependant
        self.provider = provider
        self.plain = compile_tree(dependant)
        self._by_overrides = {}

    def current(self):
        """The tree for the provider's overrides as they are now."""
        provider = self.provider
        overrides = getattr(provider, "dependency_overrides", None) if provider is not None else None
        if not overrides:
            return self.plain
        # Identity of every key and value: overrides are compared as FastAPI looks them up.
        key = tuple((id(call), id(override)) for call, override in overrides.items())
        entry = self._by_overrides.get(key)
        if entry is None:
            if len(self._by_overrides) >= self._KEEP:
                self._by_overrides.clear()
            # The entry keeps the overrides alive, so that their ids in the key stay theirs.
            entry = (dict(overrides), compile_tree(self.dependant, overrides))
            self._by_overrides[key] = entry
        return entry[1]


__all__ = ["CALL_ASYNC", "CALL_SYNC", "GENERATOR_ASYNC", "GENERATOR_SYNC", "InjectionPlans", "InjectionTree",
           "NotInjectable", "Step", "compile_tree", "route_reason"]
