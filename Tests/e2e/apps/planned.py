"""A FastAPI app with the features native plans must serve exactly as the app would: routers
with prefixes and dependencies, yield dependencies, security, every parameter source, bodies,
forms and files, Response and BackgroundTasks parameters, exception handlers."""
import asyncio
from typing import Annotated

from fastapi import (APIRouter, BackgroundTasks, Body, Cookie, Depends, FastAPI, File, Form, Header,
                     HTTPException, Path, Query, Request, Response, Security, UploadFile)
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials, OAuth2PasswordBearer, SecurityScopes
from pydantic import BaseModel, Field

app = FastAPI(title="planned")
events = []


class Item(BaseModel):
    name: str
    price: float = Field(gt=0)
    tags: list[str] = []


class Filters(BaseModel):
    limit: int = 10
    order: str = "asc"


class TeapotError(Exception):
    pass


@app.exception_handler(TeapotError)
async def teapot_handler(request: Request, exc: TeapotError):
    return JSONResponse({"teapot": str(exc)}, status_code=418)


@app.exception_handler(409)
async def conflict_handler(request: Request, exc: HTTPException):
    return PlainTextResponse(f"conflict: {exc.detail}", status_code=409)


# -- dependencies -----------------------------------------------------------------------

def token_header(x_token: Annotated[str, Header()]):
    if x_token != "secret":
        raise HTTPException(status_code=401, detail="bad token", headers={"WWW-Authenticate": "Token"})
    return x_token


def database():
    events.append("db open")
    try:
        yield {"rows": [1, 2, 3]}
    except HTTPException as exc:
        events.append(f"db saw {exc.status_code}")
        raise
    finally:
        events.append("db close")


async def async_session():
    events.append("session open")
    yield "session"
    events.append("session close")


def common(q: str | None = None, skip: int = 0, limit: int = 100):
    return {"q": q, "skip": skip, "limit": limit}


oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"items": "read items"})
basic = HTTPBasic()


def current_user(scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)]):
    if token != "alice":
        raise HTTPException(status_code=401, detail="Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return {"user": token, "scopes": scopes.scopes}


router = APIRouter(prefix="/private", dependencies=[Depends(token_header)], tags=["private"])


@router.get("/things/{thing_id}")
def read_thing(thing_id: int, db: Annotated[dict, Depends(database)], commons: Annotated[dict, Depends(common)]):
    if thing_id == 0:
        raise HTTPException(status_code=404, detail="no thing 0")
    return {"thing_id": thing_id, "rows": db["rows"], **commons}


@router.get("/session")
async def read_session(session: Annotated[str, Depends(async_session)], db: Annotated[dict, Depends(database)]):
    return {"session": session, "rows": len(db["rows"])}


app.include_router(router)


@app.get("/events")
def read_events():
    return events


@app.delete("/events", status_code=204)
def clear_events():
    events.clear()


# -- parameters -------------------------------------------------------------------------

@app.get("/params/{item_id}")
def params(
    item_id: Annotated[int, Path(ge=1)],
    q: Annotated[list[str], Query()] = [],
    size: Annotated[float | None, Query(lt=10)] = None,
    user_agent: Annotated[str | None, Header()] = None,
    x_values: Annotated[list[str] | None, Header()] = None,
    session_id: Annotated[str | None, Cookie()] = None,
):
    return {"item_id": item_id, "q": q, "size": size, "user_agent": user_agent, "x_values": x_values,
            "session_id": session_id}


@app.get("/filters")
def filters(f: Annotated[Filters, Query()]):
    return f


@app.post("/items", status_code=201)
def create_item(item: Item) -> Item:
    return item


@app.post("/embedded")
async def embedded(item: Annotated[Item, Body(embed=True)], importance: Annotated[int, Body()]):
    return {"item": item, "importance": importance}


@app.post("/form")
def form(username: Annotated[str, Form()], upload: Annotated[UploadFile | None, File()] = None):
    return {"username": username, "file": upload.filename if upload else None,
            "size": len(upload.file.read()) if upload else 0}


# -- responses --------------------------------------------------------------------------

@app.get("/response-param")
def response_param(response: Response):
    response.headers["x-extra"] = "yes"
    response.set_cookie("visited", "1")
    response.status_code = 202
    return {"ok": True}


def failing_task():
    raise RuntimeError("the background task failed")


@app.post("/background")
def background(tasks: BackgroundTasks):
    tasks.add_task(events.append, "background ran")
    return {"queued": 1}


@app.post("/background-fails")
def background_fails(tasks: BackgroundTasks):
    tasks.add_task(failing_task)
    return {"queued": 1}


@app.get("/stream")
async def stream():
    async def pieces():
        for i in range(3):
            await asyncio.sleep(0)
            yield f"piece {i}\n"
    return StreamingResponse(pieces(), media_type="text/plain")


@app.get("/teapot")
def teapot():
    raise TeapotError("short and stout")


@app.get("/conflict")
async def conflict():
    raise HTTPException(status_code=409, detail="taken")


@app.get("/crash")
def crash():
    raise ValueError("unexpected")


@app.get("/me")
def me(user: Annotated[dict, Security(current_user, scopes=["items"])]):
    return user


@app.get("/basic")
def basic_auth(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]):
    return {"username": credentials.username}


@app.get("/floats")
def floats():
    return {"small": 1e-7, "big": 1e16, "text": "café", "int": 2**70}


@app.get("/model-floats")
def model_floats() -> Item:
    return Item(name="x", price=1e-7)
