"""FastAPI routes with dependencies, served by Apus and by uvicorn (bench/deps.py).

- GET /chain (def) and /achain (async def): a three-level Depends chain (common query params ->
  API-key header -> yield session), and a response_model that drops a field;
- GET /router/items/{item_id}: an APIRouter route with a yield sqlite3 session;
- GET /users/me: the tutorial's OAuth2PasswordBearer pattern;
- GET /simple: one plain Depends.
"""
import os
import sqlite3
import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel

API_KEY = "bench-secret"

app = FastAPI()


# --- /chain and /achain: three levels of Depends, a yield session, a filtering response_model ---

class Entry(BaseModel):
    id: int
    name: str
    q: str | None = None
    skip: int
    limit: int
    session: str


def _entries(params, session):
    return [{"id": i, "name": f"entry-{i}", "q": params["q"], "skip": params["skip"], "limit": params["limit"],
             "session": session["name"], "secret": "filtered out by response_model"} for i in range(3)]


def common_params(q: str | None = None, skip: int = Query(0, ge=0), limit: int = Query(10, ge=1, le=100)):
    return {"q": q, "skip": skip, "limit": limit}


def verified_params(params: Annotated[dict, Depends(common_params)], x_api_key: Annotated[str, Header()]):
    if x_api_key != API_KEY:
        raise HTTPException(status_code=401, detail="Invalid API key")
    return params


def session():
    yield {"name": "sync-session", "open": True}


def query_context(params: Annotated[dict, Depends(verified_params)], db: Annotated[dict, Depends(session)]):
    return params, db


@app.get("/chain", response_model=list[Entry])
def chain(context: Annotated[tuple, Depends(query_context)]):
    return _entries(*context)


async def acommon_params(q: str | None = None, skip: int = Query(0, ge=0), limit: int = Query(10, ge=1, le=100)):
    return {"q": q, "skip": skip, "limit": limit}


async def averified_params(params: Annotated[dict, Depends(acommon_params)], x_api_key: Annotated[str, Header()]):
    if x_api_key != API_KEY:
        raise HTTPException(status_code=401, detail="Invalid API key")
    return params


async def asession():
    yield {"name": "async-session", "open": True}


async def aquery_context(params: Annotated[dict, Depends(averified_params)], db: Annotated[dict, Depends(asession)]):
    return params, db


@app.get("/achain", response_model=list[Entry])
async def achain(context: Annotated[tuple, Depends(aquery_context)]):
    return _entries(*context)


# --- /router/items/{item_id}: APIRouter, yield sqlite3 session ---

DB_PATH = os.path.join(tempfile.gettempdir(), "apus_bench_deps_items.sqlite3")


def _create_db():
    tmp = f"{DB_PATH}.{os.getpid()}"
    with sqlite3.connect(tmp) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL)")
        conn.executemany("INSERT INTO items VALUES (?, ?, ?)", [(i, f"item-{i}", i * 1.5) for i in range(1, 101)])
    conn.close()
    os.replace(tmp, DB_PATH)  # atomic: two servers importing at once never see a half-built file


_create_db()


class Item(BaseModel):
    id: int
    name: str
    price: float


def get_db():
    db = sqlite3.connect(DB_PATH, check_same_thread=False)
    try:
        yield db
    finally:
        db.close()


router = APIRouter(prefix="/router")


@router.get("/items/{item_id}", response_model=Item)
def read_item(item_id: int, db: Annotated[sqlite3.Connection, Depends(get_db)]):
    row = db.execute("SELECT id, name, price FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return {"id": row[0], "name": row[1], "price": row[2]}


app.include_router(router)


# --- /users/me: OAuth2PasswordBearer, as in the FastAPI tutorial ---

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


FAKE_TOKENS = {
    "johndoe-token": User(username="johndoe", email="johndoe@example.com", full_name="John Doe", disabled=False),
}


def fake_decode_token(token):
    return FAKE_TOKENS.get(token)


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]):
    user = fake_decode_token(token)
    if user is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid authentication credentials",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


@app.get("/users/me")
async def read_users_me(current_user: Annotated[User, Depends(get_current_user)]):
    return current_user


# --- /simple: one plain Depends ---

def common(q: str | None = None) -> dict:
    return {"q": q}


@app.get("/simple")
def simple(c: dict = Depends(common)) -> dict:
    return {"q": c["q"]}
