"""The example app of `make run`: a real FastAPI app, served unmodified by
`apus run app:app --app-dir examples`. Its /docs and /redoc work offline: the Swagger UI and
ReDoc assets come from the `fastapi-offline` package, served by the app itself."""
import asyncio
import os
import time

import fastapi_offline
from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from todos import router as todos

app = FastAPI(title="Apus example", docs_url=None, redoc_url=None)
app.include_router(todos)
ASSETS = os.path.join(os.path.dirname(fastapi_offline.__file__), "static")
app.mount("/static", StaticFiles(directory=ASSETS), name="static")


@app.get("/docs", include_in_schema=False)
def docs():
    return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI",
                               swagger_js_url="/static/swagger-ui-bundle.js", swagger_css_url="/static/swagger-ui.css")


@app.get("/redoc", include_in_schema=False)
def redoc():
    return get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} - ReDoc",
                          redoc_js_url="/static/redoc.standalone.js")


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


ITEMS = {1: Item(name="Widget", price=9.99, tags=["a"]), 2: Item(name="Gadget", price=24.5)}


@app.get("/", response_class=HTMLResponse)
def index():
    return "<h1>Apus</h1><p>Try <a href='/items/1'>/items/1</a>, <a href='/todos/'>/todos/</a> or <a href='/docs'>/docs</a>.</p>"


@app.get("/plaintext", response_class=PlainTextResponse)
def plaintext():
    return "Hello, World!"


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
