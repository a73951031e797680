"""Routes whose dependencies Apus injects itself: the cache, overrides, `yield` cleanup and its
timing, errors from every source, security, the sub-Response, and the threads each step runs on.
Served with plans and with `--no-plans` by test_injected.py, which compares the answers."""
import asyncio
import inspect
import threading
from typing import Annotated

from fastapi import (APIRouter, BackgroundTasks, Body, Cookie, Depends, FastAPI, Header, HTTPException, Path, Query,
                     Request, Response, Security)
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBasic, HTTPBasicCredentials, OAuth2PasswordBearer, SecurityScopes
from pydantic import BaseModel

events = []


def verify_key(x_key: Annotated[str | None, Header()] = None):
    events.append("app dependency")
    if x_key == "refuse":
        raise HTTPException(status_code=403, detail="refused by the app's dependency")


app = FastAPI(dependencies=[Depends(verify_key)])
SCOPE_PARAMETER = "scope" in inspect.signature(Depends).parameters  # FastAPI 0.121+


@app.get("/events")
def read_events():
    return events


@app.delete("/events")
def clear_events():
    events.clear()
    return None


# -- the cache ---------------------------------------------------------------------------------

calls = {"counter": 0}


def counter():
    calls["counter"] += 1
    return calls["counter"]


@app.get("/cache")
def cache(a: Annotated[int, Depends(counter)], b: Annotated[int, Depends(counter)],
          c: Annotated[int, Depends(counter, use_cache=False)]):
    return {"a": a, "b": b, "c": c, "same": a == b, "fresh": c != a}


class CommonQuery:
    def __init__(self, q: str | None = None, skip: int = Query(0, ge=0), limit: int = Query(10, le=100)):
        self.q, self.skip, self.limit = q, skip, limit


@app.get("/class-dependency")
def class_dependency(common: Annotated[CommonQuery, Depends()]):
    return vars(common)


# -- overrides ---------------------------------------------------------------------------------

def source():
    return "original"


@app.get("/overridden")
def overridden(value: Annotated[str, Depends(source)]):
    return {"value": value}


@app.post("/override/{value}")
def set_override(value: str):
    if value == "async":
        async def replacement(q: str = "from async"):
            return q
    else:
        def replacement():
            return value
    app.dependency_overrides[source] = replacement
    return None


@app.delete("/override")
def clear_override():
    app.dependency_overrides.clear()
    return None


# -- yield dependencies ------------------------------------------------------------------------

def sync_resource():
    events.append("enter")
    try:
        yield "resource"
    except HTTPException as exc:
        events.append(f"saw {exc.status_code}")
        raise
    finally:
        events.append("exit")


async def async_resource():
    events.append("enter")
    try:
        yield "resource"
    except HTTPException as exc:
        events.append(f"saw {exc.status_code}")
        raise
    finally:
        events.append("exit")


@app.get("/timing/sync")
def timing_sync(resource: Annotated[str, Depends(sync_resource)], tasks: BackgroundTasks):
    tasks.add_task(events.append, "background")
    events.append("endpoint")
    return {"resource": resource}


@app.get("/timing/async")
async def timing_async(resource: Annotated[str, Depends(async_resource)], tasks: BackgroundTasks):
    tasks.add_task(events.append, "background")
    events.append("endpoint")
    return {"resource": resource}


if SCOPE_PARAMETER:
    @app.get("/timing/function-scope")
    def timing_function_scope(resource: Annotated[str, Depends(sync_resource, scope="function")],
                              tasks: BackgroundTasks):
        tasks.add_task(events.append, "background")
        events.append("endpoint")
        return {"resource": resource}


@app.get("/raises/{status}")
def raises(status: int, resource: Annotated[str, Depends(sync_resource)]):
    raise HTTPException(status_code=status, detail=f"raised {status}")


@app.get("/araises/{status}")
async def araises(status: int, resource: Annotated[str, Depends(async_resource)]):
    raise HTTPException(status_code=status, detail=f"raised {status}")


def swallowing():
    try:
        yield "swallowing"
    except Exception:  # noqa: BLE001 - the mistake FastAPI's docs warn about
        events.append("swallowed")


@app.get("/swallowed")
def swallowed(value: Annotated[str, Depends(swallowing)]):
    raise HTTPException(status_code=400, detail="never seen")


def raises_after_yield():
    yield "value"
    events.append("raising after yield")
    raise HTTPException(status_code=418, detail="after the yield")


@app.get("/after-yield")
def after_yield(value: Annotated[str, Depends(raises_after_yield)]):
    return {"value": value}


# -- errors from every source ------------------------------------------------------------------

class Payload(BaseModel):
    name: str
    size: int


def header_source(x_count: Annotated[int, Header()]):
    return x_count


@app.post("/everything/{item_id}")
def everything(item_id: Annotated[int, Path()], count: Annotated[int, Depends(header_source)],
               page: Annotated[int, Query(ge=1)], session: Annotated[int, Cookie()], payload: Payload,
               note: Annotated[str, Body()] = "none"):
    return {"item_id": item_id, "count": count, "page": page, "session": session, "payload": payload,
            "note": note}


# -- security, Request, Response -------------------------------------------------------------

oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"items": "read items", "admin": "admin"})
basic = HTTPBasic()


async def current_user(scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)]):
    if token != "good":
        raise HTTPException(status_code=401, detail="bad token", headers={"WWW-Authenticate": "Bearer"})
    return {"user": "alice", "scopes": scopes.scopes}


@app.get("/me")
async def me(user: Annotated[dict, Security(current_user, scopes=["items"])]):
    return user


@app.get("/admin")
def admin(user: Annotated[dict, Security(current_user, scopes=["admin", "items"])]):
    return user


@app.get("/basic")
def basic_auth(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]):
    return {"username": credentials.username}


def stamp(response: Response, request: Request):
    response.headers["x-stamp"] = request.url.path
    response.set_cookie("seen", "yes")
    response.status_code = 202
    return "stamped"


@app.get("/sub-response")
def sub_response(value: Annotated[str, Depends(stamp)]):
    return {"value": value}


@app.get("/returned-response")
def returned_response(value: Annotated[str, Depends(stamp)]):
    return Response(content=b"plain", media_type="text/plain")


# -- threads -----------------------------------------------------------------------------------

def thread_of_first():
    yield {"first": threading.get_ident(), "loop": _running_loop()}
    events.append(f"first exit on {'the same thread' if threading.get_ident() == _entered['first'] else 'another'}")


_entered = {}


def first(value: Annotated[dict, Depends(thread_of_first)]):
    _entered["first"] = value["first"]
    return value


def second(value: Annotated[dict, Depends(first)]):
    return {**value, "second": threading.get_ident()}


@app.get("/threads/sync")
def threads_sync(value: Annotated[dict, Depends(second)]):
    return {**value, "endpoint": threading.get_ident(), "endpoint_loop": _running_loop()}


def thread_name():
    return threading.current_thread().name


def thread_name_resource():
    entered = threading.current_thread().name
    yield entered
    events.append(f"mixed exit on {'an anyio thread' if threading.current_thread().name.startswith('AnyIO') else 'an executor thread'}")


@app.get("/threads/mixed")
async def threads_mixed(name: Annotated[str, Depends(thread_name)],
                        resource: Annotated[str, Depends(thread_name_resource)]):
    return {"dependency": name, "resource": resource}


@app.get("/threads/asyncio")
async def threads_asyncio():
    return {"asyncio": threading.get_ident()}


def _running_loop():
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


# -- an included router with dependencies of its own -------------------------------------------

def router_dependency(x_router: Annotated[str, Header()]):
    events.append(f"router {x_router}")


router = APIRouter(prefix="/routed", dependencies=[Depends(router_dependency)])


@router.get("/{name}")
def routed(name: str, limit: Annotated[int, Query(le=10)] = 5):
    return {"name": name, "limit": limit}


app.include_router(router)


# -- custom route classes ----------------------------------------------------------------------

class HeaderRoute(APIRoute):
    """Wraps FastAPI's handler, as FastAPI's docs teach: Apus's injected handler underneath."""

    def get_route_handler(self):
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response = await original(request)
            response.headers["x-route-class"] = "wrapped"
            return response
        return handler


class ReplacingRoute(APIRoute):
    """Replaces the handler outright: FastAPI's path, whatever Apus could do."""

    def get_route_handler(self):
        async def handler(request: Request) -> Response:
            return PlainTextResponse(f"replaced {request.url.path}")
        return handler


wrapped_router = APIRouter(route_class=HeaderRoute)


@wrapped_router.get("/wrapped/{n}")
def wrapped(n: int, value: Annotated[str, Depends(source)]):
    return {"n": n, "value": value}


replaced_router = APIRouter(route_class=ReplacingRoute)


@replaced_router.get("/replaced")
def replaced():
    return {"never": "seen"}


app.include_router(wrapped_router)
app.include_router(replaced_router)
