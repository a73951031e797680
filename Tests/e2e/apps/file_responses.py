"""FileResponse and StaticFiles, as apps serve files: the file's path comes from FILES_DIR. An
audit hook records every file Python opens, so a test can tell whether Python read one."""
import os
import sys

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

FILES = os.environ.get("FILES_DIR", "/tmp")
opened = []


def _audit(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].startswith(FILES):
        opened.append(args[0])


sys.addaudithook(_audit)

app = FastAPI()
if os.environ.get("FILES_GZIP"):
    app.add_middleware(GZipMiddleware, minimum_size=100)


@app.get("/file/{name}")
def file(name: str):
    return FileResponse(os.path.join(FILES, name))


@app.get("/opened")
def files_opened():
    return {"opened": opened}


app.mount("/static", StaticFiles(directory=FILES, html=True), name="static")
