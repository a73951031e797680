"""An app with HTTP middleware: it runs around every route, so every route goes through the app."""
from fastapi import FastAPI, Request

app = FastAPI()


@app.middleware("http")
async def mark(request: Request, call_next):
    response = await call_next(request)
    response.headers["x-process"] = "done"
    return response


@app.get("/hello")
def hello():
    return {"hello": "world"}
