"""What a functions tree's app is built with, in one place: FastAPI's and Starlette's own classes
when FastAPI is installed, else the standard-library stand-ins of ``plain`` (a tree without
Python functions needs no FastAPI). The names here are neutral, so that code which builds the app
reads the same either way and no stand-in passes for one of FastAPI's classes."""
try:
    from fastapi import FastAPI
    from fastapi.routing import APIRoute as Route
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request as RequestType
    from starlette.responses import FileResponse as FileAnswer
    from starlette.responses import JSONResponse as JSONAnswer
    from starlette.responses import RedirectResponse as RedirectAnswer
    from starlette.responses import Response as Answer
except ImportError:
    FastAPI = run_in_threadpool = None
    from .plain import FileAnswer, JSONAnswer, RedirectAnswer
    from .plain import PlainAnswer as Answer
    from .plain import PlainRoute as Route
    from .plain import RequestView as RequestType

__all__ = ["Answer", "FastAPI", "FileAnswer", "JSONAnswer", "RedirectAnswer", "RequestType", "Route",
           "run_in_threadpool"]
