"""Apus: a FastAPI-compatible API served by the Apus runtime."""
from .applications import FastAPI
from .exceptions import HTTPException
from .responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

__all__ = ["FastAPI", "HTTPException", "Response", "JSONResponse", "PlainTextResponse", "HTMLResponse"]
__version__ = "0.1.0"
