"""The benchmark's endpoints (same as the peer matrix), sync and async, plus error paths."""
from fastapi import FastAPI, HTTPException
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@app.get("/plaintext", response_class=PlainTextResponse)
def plaintext():
    return "Hello, World!"


@app.get("/json")
def json_():
    return {"message": "Hello, World!"}


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.post("/items")
def create_item(item: Item) -> Item:
    return item


@app.get("/async/json")
async def json_async():
    return {"message": "Hello, World!"}


@app.post("/async/items")
async def create_item_async(item: Item) -> Item:
    return item


@app.get("/missing")
def missing():
    raise HTTPException(status_code=404, detail="missing")


@app.get("/crash")
def crash():
    raise RuntimeError("expected in the leak test")
