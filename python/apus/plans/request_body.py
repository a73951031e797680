"""A JSON body read as FastAPI's request handler reads it, for the plans that read it themselves
(direct and injected): JSON for ``application/json`` and ``+json`` content types (``email.message``
judges them, as in FastAPI), without a content type as the route's ``strict_content_type`` says
(FastAPI before 0.132 reads it as JSON), the raw bytes for any other type, nothing for an empty
body; and the errors FastAPI raises for one that does not parse."""
import email.message
import json

from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import HTTPException, RequestValidationError

from . import support

EMPTY = object()  # no body: FastAPI's "missing"
_JSON_CONTENT_TYPES = {}


def is_json_content_type(content_type):
    """FastAPI's test, through ``email.message`` (case, parameters and spacing as it reads
    them), remembered for the few content types a server sees."""
    known = _JSON_CONTENT_TYPES.get(content_type)
    if known is None:
        message = email.message.Message()
        message["content-type"] = content_type
        known = False
        if message.get_content_maintype() == "application":
            subtype = message.get_content_subtype()
            known = subtype == "json" or subtype.endswith("+json")
        if len(_JSON_CONTENT_TYPES) < 256:
            _JSON_CONTENT_TYPES[content_type] = known
    return known


def json_without_content_type(spec):
    """Whether ``spec`` (a route, or an included router's route context) reads a body that has
    no content type as JSON."""
    strict = getattr(spec, "strict_content_type", None)
    if isinstance(strict, DefaultPlaceholder):
        strict = strict.value
    return strict is None or not strict


def parse(body, content_type, without_content_type_as_json):
    """``EMPTY``, the bytes, or the parsed JSON; a body that does not parse raises what
    ``json.loads`` raised (see ``error_for``)."""
    if not body:
        return EMPTY
    is_json = without_content_type_as_json if not content_type else is_json_content_type(content_type)
    return json.loads(body) if is_json else body


def error_for(error, validation_error):
    """What FastAPI raises for a body ``json.loads`` refused: a 422 ``json_invalid`` made by
    ``validation_error(errors, body)``, or, for any other failure (bytes that are not UTF-8),
    a 400."""
    if isinstance(error, json.JSONDecodeError):
        return validation_error([{
            "type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error",
            "input": {}, "ctx": {"error": error.msg}}], error.doc)
    return HTTPException(status_code=400, detail="There was an error parsing the body")


def validation_error(errors, body, request, endpoint_context, route_path):
    """The ``RequestValidationError`` FastAPI raises for ``errors`` (with, where the installed
    FastAPI has it, the endpoint's context and the route's ``METHOD path``)."""
    if support.VALIDATION_ERROR_HAS_ENDPOINT_CTX:
        context = dict(endpoint_context or {})
        mount_path = request.scope.get("root_path", "").rstrip("/")
        context["path"] = f"{request.method} {mount_path}{route_path}"
        return RequestValidationError(errors, body=body, endpoint_ctx=context)
    return RequestValidationError(errors, body=body)
