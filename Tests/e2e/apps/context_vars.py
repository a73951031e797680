"""Context variables set by an app's sync code: FastAPI runs each sync call (a dependency, the
endpoint, an exception handler) in a copy of the request's context, so what one sets is seen
neither by the steps after it nor by any other request."""
import contextvars
from typing import Annotated

from fastapi import Depends, FastAPI, Header
from fastapi.responses import JSONResponse

current = contextvars.ContextVar("current", default="unset")
app = FastAPI()


class Refused(Exception):
    pass


@app.exception_handler(Refused)
def refused(request, exc):
    current.set("set by the exception handler")
    return JSONResponse({"refused": current.get()}, status_code=403)


def remember(x_value: Annotated[str, Header()] = "none"):
    current.set(x_value)
    return x_value


def remember_in_generator(x_value: Annotated[str, Header()] = "none"):
    current.set("generator " + x_value)
    yield x_value


@app.get("/set")
def set_value(value: Annotated[str, Depends(remember)], other: Annotated[str, Depends(remember_in_generator)]):
    return {"dependency": value, "endpoint sees": current.get()}


@app.get("/endpoint-sets")
def endpoint_sets():
    current.set("set by an endpoint")
    return {"endpoint sees": current.get()}


@app.get("/refuse")
def refuse():
    raise Refused()


@app.get("/read")
def read():
    return {"sees": current.get()}
