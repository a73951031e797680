"""Starlette's CORS, GZip and TrustedHost middleware around planned routes of every kind."""
import os

from fastapi import FastAPI, HTTPException, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import PlainTextResponse, StreamingResponse

app = FastAPI()
# Added last, so outermost: CORS, then GZip, then TrustedHost.
app.add_middleware(TrustedHostMiddleware, allowed_hosts=["test", "www.example.org", "*.example.com"])
app.add_middleware(GZipMiddleware, minimum_size=100, compresslevel=6)
app.add_middleware(
    CORSMiddleware, allow_origins=["https://app.example.com"], allow_credentials=True,
    allow_methods=["GET", "POST"], allow_headers=["x-token"], expose_headers=["x-total"])

WORDS = [f"word{i}" for i in range(200)]


@app.get("/small")
def small():
    return {"ok": True}


@app.get("/large")
def large():
    return {"words": WORDS}


@app.get("/large-async")
async def large_async(response: Response):
    response.headers["vary"] = "Cookie"
    response.headers["x-total"] = "200"
    return {"words": WORDS}


@app.get("/stream")
def stream():
    def pieces():
        for i in range(5):
            yield (" ".join(WORDS[i * 40:(i + 1) * 40]) + "\n").encode()
    return StreamingResponse(pieces(), media_type="text/plain")


@app.get("/png")
def png():
    return Response(b"\x89PNG" + b"\0" * 500, media_type="image/png")


@app.get("/encoded")
def encoded():
    return Response(b"x" * 500, headers={"content-encoding": "br"})


@app.get("/partial")
def partial():
    return PlainTextResponse("y" * 500, status_code=206)


@app.get("/teapot")
def teapot():
    raise HTTPException(status_code=418, detail=" ".join(WORDS))


@app.get("/crash")
def crash():
    raise RuntimeError("boom")


@app.post("/echo")
def echo(payload: dict):
    return payload


@app.get("/folder/")
def folder():
    return {"folder": os.sep}
