"""The Python half of the mixed service: an ordinary FastAPI app, served by the Swift program
beside its own handlers (its routes that no Swift route shadows)."""
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel


@asynccontextmanager
async def lifespan(app):
    print("app: started", flush=True)
    yield
    print("app: stopped", flush=True)


app = FastAPI(title="Mixed service", lifespan=lifespan)

ITEMS = {1: "hammer", 2: "saw"}


class Item(BaseModel):
    id: int
    name: str


def current_user(x_user: Annotated[str | None, Header()] = None) -> str:
    if x_user is None:
        raise HTTPException(status_code=401, detail="who are you?")
    return x_user


@app.get("/items/{item_id}", response_model=Item)
def read_item(item_id: int, user: Annotated[str, Depends(current_user)]):
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="no such item")
    return {"id": item_id, "name": ITEMS[item_id]}


@app.get("/python/hello")
async def hello(name: str = "world"):
    return {"hello": name}


# The Swift handlers are found first: this one is never reached for GET.
@app.get("/swift/ping")
def shadowed():
    return {"served_by": "python"}


@app.post("/swift/ping")
def ping_post():
    return {"served_by": "python", "method": "POST"}
