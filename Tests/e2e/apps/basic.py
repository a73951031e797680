"""An app exercising what the runtime must serve: handler kinds, parameters, return types."""
import asyncio
import time

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@app.get("/sync")
def sync_handler():
    return {"kind": "sync"}


@app.get("/async")
async def async_handler():
    return {"kind": "async"}


@app.get("/async-awaits")
async def async_awaits():
    await asyncio.sleep(0.01)
    results = await asyncio.gather(asyncio.sleep(0.01, "a"), asyncio.sleep(0.02, "b"))
    return {"gathered": results}


@app.get("/types/{i}/{f}/{s}/{b}")
def typed(i: int, f: float, s: str, b: bool):
    return {"i": i, "f": f, "s": s, "b": b}


@app.get("/query")
def query(a: int, b: str = "default", c: float | None = None, flag: bool = False):
    return {"a": a, "b": b, "c": c, "flag": flag}


@app.get("/return/dict")
def return_dict():
    return {"x": 1, "nested": {"y": [1, 2.5, None, True]}}


@app.get("/return/list")
def return_list():
    return [1, "two", {"three": 3}]


@app.get("/return/str")
def return_str():
    return "hello"


@app.get("/return/int")
def return_int():
    return 42


@app.get("/return/none")
def return_none():
    return None


@app.get("/return/model")
def return_model() -> Item:
    return Item(name="Widget", price=9.99, tags=["a", "b"])


@app.get("/return/response")
def return_response():
    return Response(content=b"raw bytes", media_type="application/octet-stream", headers={"X-Custom": "yes"})


@app.get("/return/json-response")
def return_json_response():
    return JSONResponse({"created": True}, status_code=201)


@app.get("/return/plain")
def return_plain():
    return PlainTextResponse("plain text")


@app.get("/return/html")
def return_html():
    return HTMLResponse("<b>bold</b>")


@app.post("/items")
def create_item(item: Item) -> Item:
    return item


@app.post("/items/async")
async def create_item_async(item: Item):
    return {"received": item.name}


@app.get("/not-found")
def not_found():
    raise HTTPException(status_code=404, detail="Nothing here", headers={"X-Reason": "missing"})


@app.get("/boom")
def boom():
    raise ValueError("kaboom")


@app.get("/async-boom")
async def async_boom():
    await asyncio.sleep(0)
    raise RuntimeError("async kaboom")


@app.get("/sleep")
def sleep(seconds: float = 0.5):
    time.sleep(seconds)
    return {"slept": seconds}


@app.get("/async-sleep")
async def async_sleep(seconds: float = 1.0):
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@app.get("/users/me")
def users_me():
    return {"user": "me"}


@app.get("/users/{user_id}")
def users_by_id(user_id: str):
    return {"user": user_id}


@app.get("/response-class", response_class=PlainTextResponse)
def response_class():
    return "plain via response_class"


@app.post("/created", status_code=201)
def created():
    return {"created": True}


@app.get("/pid")
def pid():
    import os
    return {"pid": os.getpid()}


@app.get("/proxy")
async def proxy(url: str):
    import httpx

    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    return {"status": response.status_code, "body": response.json()}


@app.get("/header-injection")
def header_injection():
    return Response(content=b"x", headers={"X-Evil": "a\r\nSet-Cookie: stolen=1"})


@app.get("/bad-status")
def bad_status():
    return Response(content=b"x", status_code=20000)
