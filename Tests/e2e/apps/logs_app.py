"""An app for the log-format tests: what the app sees of a request's id, a warning of its own,
and an exception."""
import logging

from fastapi import FastAPI, Request

app = FastAPI()
log = logging.getLogger("logs_app")


@app.get("/id")
def request_id(request: Request):
    return {"x-request-id": request.headers.get("x-request-id")}


@app.get("/warn")
def warn():
    log.warning("café %s", "crème")
    return {"warned": True}


@app.get("/fail")
def fail():
    raise RuntimeError("the handler failed on purpose")


@app.post("/upload")
async def upload(request: Request):
    return {"size": len(await request.body())}
