"""Unit tests of the injection plan compiler and its solver, in process, without a server: the
tree's order and what each step knows, overrides, the fast lane's decisions, and solving against
FastAPI's own rules (errors, the cache, skipped calls)."""
import asyncio
import os
import sys
from typing import Annotated

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

import pytest  # noqa: E402
from fastapi import (BackgroundTasks, Depends, FastAPI, Header, Query, Request, Response,  # noqa: E402
                     Security)
from fastapi.security import OAuth2PasswordBearer, SecurityScopes  # noqa: E402
from starlette.requests import Request as StarletteRequest  # noqa: E402

from apus._contract import RequestParts  # noqa: E402
from apus.plans import injection  # noqa: E402
from apus.plans.compiler import injection_reason  # noqa: E402
from apus.plans.fast_arguments import FastArguments  # noqa: E402
from apus.plans.solving import Solving, solve_async, solve_sync  # noqa: E402

calls = []


def leaf(q: str | None = None):
    calls.append("leaf")
    return q


def middle(value: Annotated[str | None, Depends(leaf)], x_token: Annotated[str, Header()]):
    calls.append("middle")
    return f"{value}/{x_token}"


def resource():
    calls.append("enter")
    yield "resource"
    calls.append("exit")


async def async_leaf():
    return "async"


oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"a": "a"})


def scoped(scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)]):
    return scopes.scopes


def route_of(app, path):
    return next((route for route in app.routes if getattr(route, "path", None) == path), None)


def make_app():
    app = FastAPI()

    @app.get("/tree")
    def tree(a: Annotated[str, Depends(middle)], b: Annotated[str | None, Depends(leaf)],
             c: Annotated[str | None, Depends(leaf, use_cache=False)], r: Annotated[str, Depends(resource)],
             limit: Annotated[int, Query(le=10)] = 5):
        return [a, b, c, r, limit]

    @app.get("/mixed")
    def mixed(value: Annotated[str, Depends(async_leaf)], request: Request, response: Response,
              tasks: BackgroundTasks):
        return value

    @app.get("/secure")
    def secure(scopes: Annotated[list, Security(scoped, scopes=["a"])]):
        return scopes

    @app.get("/cookie")
    def cookie(value: Annotated[str | None, Depends(leaf)], session: str | None = None):
        return value

    @app.get("/stream", dependencies=[Depends(leaf)])
    def stream():
        yield b"x"

    return app


def parts_of(query, headers):
    return RequestParts(method="GET", http_version="1.1", path="/tree", raw_path=b"/tree", query_string=query,
                        headers=headers, client="", server="", path_params={}, more_body=False, tls=None)


def request_for(query=b"", headers=()):
    scope = {"type": "http", "method": "GET", "path": "/tree", "raw_path": b"/tree", "query_string": query,
             "headers": [(name.encode(), value.encode()) for name, value in headers], "path_params": {},
             "root_path": ""}
    return StarletteRequest(scope)


def test_steps_are_in_the_order_they_finish_with_what_solving_needs():
    tree = injection.compile_tree(route_of(make_app(), "/tree").dependant)
    names = [(step.name, getattr(step.call, "__name__", None)) for step in tree.steps]
    assert names == [("value", "leaf"), ("a", "middle"), ("b", "leaf"), ("c", "leaf"), ("r", "resource"),
                     (None, "tree")]
    assert [step.index for step in tree.steps] == list(range(6))
    value, a, b, c, r, root = tree.steps
    assert root is tree.root and root.kind is None
    assert a.kind == injection.CALL_SYNC and r.kind == injection.GENERATOR_SYNC and r.manager is not None
    assert value.cache_key == b.cache_key == c.cache_key and b.use_cache and not c.use_cache
    assert [f.alias for f in a.header_params] == ["x-token"] and [f.alias for f in value.query_params] == ["q"]
    assert tree.has_generators and not tree.runs_async and not tree.uses_response


def test_an_async_step_or_special_parameters_are_known_at_compile_time():
    tree = injection.compile_tree(route_of(make_app(), "/mixed").dependant)
    assert tree.runs_async and tree.uses_response and tree.uses_background_tasks
    assert tree.root.request_name == "request"


def test_security_scopes_are_computed_once():
    tree = injection.compile_tree(route_of(make_app(), "/secure").dependant)
    step = next(step for step in tree.steps if step.security_scopes_name)
    assert step.security_scopes == ["a"]


def test_overrides_compile_a_tree_of_their_own_and_keep_the_declared_cache_key():
    app = make_app()
    dependant = route_of(app, "/tree").dependant
    plans = injection.InjectionPlans(dependant, app)
    assert plans.current() is plans.plain

    async def replacement(z: int = 1):
        return "over"

    app.dependency_overrides[leaf] = replacement
    overridden = plans.current()
    assert overridden is not plans.plain and overridden.runs_async
    assert plans.current() is overridden  # kept for the same overrides
    first = overridden.steps[0]
    assert first.call is replacement and [f.name for f in first.query_params] == ["z"]
    assert first.cache_key == plans.plain.steps[0].cache_key  # FastAPI caches under the declared call
    app.dependency_overrides.clear()
    assert plans.current() is plans.plain


def test_the_fast_lane_reads_ahead_only_what_it_can_convert():
    app = make_app()
    tree = injection.compile_tree(route_of(app, "/tree").dependant)
    fast = FastArguments.compile(tree, route_of(app, "/tree").param_convertors)
    assert fast is not None and not fast.needs_request
    parts = parts_of(b"q=v&limit=3", [(b"x-token", b"t")])
    values = fast.extract(parts)
    assert values[0] == {"q": "v"} and values[1] == {"x_token": "t"} and values[5] == {"limit": 3}
    out_of_bounds = parts_of(b"limit=11", [(b"x-token", b"t")])
    assert fast.extract(out_of_bounds) is None  # pydantic reports it
    missing_header = parts_of(b"", [])
    assert fast.extract(missing_header) is None
    cookie_tree = injection.compile_tree(route_of(app, "/cookie").dependant)
    assert FastArguments.compile(cookie_tree, {}) is not None  # `session` is a query parameter here


def test_solving_collects_every_error_and_skips_the_calls_that_depend_on_them():
    tree = injection.compile_tree(route_of(make_app(), "/tree").dependant)
    calls.clear()
    solving = Solving(request_for(b"q=v&limit=99"), tree, False)
    from contextlib import ExitStack
    with ExitStack() as stack:
        solving.request_stack = solving.function_stack = stack
        values, errors = solve_sync(tree, solving)
    # middle's header is missing: middle is not called, its leaf is; leaf is cached for `b` but
    # not for `c`; the generator is entered and exited; limit's error comes last.
    assert [(error["type"], error["loc"]) for error in errors] == [
        ("missing", ("header", "x-token")), ("less_than_equal", ("query", "limit"))]
    assert calls == ["leaf", "leaf", "enter", "exit"]
    assert values["b"] == "v" and values["c"] == "v" and values["r"] == "resource" and "a" not in values


def test_solving_on_the_event_loop_gives_the_same_values():
    tree = injection.compile_tree(route_of(make_app(), "/tree").dependant)
    calls.clear()

    async def solve():
        from contextlib import AsyncExitStack
        async def inline(function, *args, **kwargs):  # the runtime's executor, without a runtime
            return function(*args, **kwargs)

        solving = Solving(request_for(b"q=v", [("x-token", "t")]), tree, False, to_executor=inline)
        async with AsyncExitStack() as stack:
            solving.request_stack = solving.function_stack = stack
            scope = solving.request.scope
            scope["fastapi_inner_astack"] = scope["fastapi_function_astack"] = stack
            return await solve_async(tree, solving)

    values, errors = asyncio.run(solve())
    assert errors == [] and values["a"] == "v/t" and values["limit"] == 5
    assert calls == ["leaf", "middle", "leaf", "enter", "exit"]


@pytest.mark.parametrize("path, reasons", [
    ("/stream", ("a streaming endpoint", "a generator endpoint")),  # JSON lines from FastAPI 0.134
    ("/tree", (None,))])
def test_routes_an_injected_plan_does_not_take_say_why(path, reasons):
    assert injection_reason(route_of(make_app(), path)) in reasons
