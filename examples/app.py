"""A small FastAPI app, served unmodified by `apus run app:app --app-dir examples`."""
import asyncio
import time

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel

app = FastAPI(title="Apus example")


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


ITEMS = {1: Item(name="Widget", price=9.99, tags=["a"]), 2: Item(name="Gadget", price=24.5)}


@app.get("/")
def index():
    return HTMLResponse("<h1>Apus</h1><p>Try <a href='/items/1'>/items/1</a>.</p>")


@app.get("/plaintext", response_class=PlainTextResponse)
def plaintext():
    return PlainTextResponse("Hello, World!")


@app.get("/json")
def json():
    return {"message": "Hello, World!"}


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    if item_id in ITEMS:
        return {"item_id": item_id, "q": q, **ITEMS[item_id].model_dump()}
    raise HTTPException(status_code=404, detail="Item not found")


@app.post("/items")
def create_item(item: Item) -> Item:
    return item


@app.get("/slow")
def slow(seconds: float = 0.5):
    time.sleep(seconds)
    return {"slept": seconds}


@app.get("/async")
async def async_hello(delay: float = 0.0):
    if delay:
        await asyncio.sleep(delay)
    return {"message": "Hello from asyncio", "delay": delay}
