"""What the plans need from the installed FastAPI and Starlette, looked up once. Private
helpers differ between FastAPI versions; each is optional here, and a plan that would need a
missing one is not built (its route runs as ASGI, with the reason)."""
import inspect

import fastapi
import fastapi.routing as fastapi_routing
import starlette.responses
from fastapi.dependencies import utils as dependency_utils
from fastapi.exceptions import RequestValidationError

FASTAPI_VERSION = tuple(int(part) for part in fastapi.__version__.split(".")[:3] if part.isdigit())
SUPPORTED = (0, 115, 0) <= FASTAPI_VERSION < (0, 166, 0)

request_params_to_args = dependency_utils.request_params_to_args
request_body_to_args = dependency_utils.request_body_to_args
serialize_response = fastapi_routing.serialize_response
_serialize_parameters = inspect.signature(serialize_response).parameters
SERIALIZE_HAS_DUMP_JSON = "dump_json" in _serialize_parameters
SERIALIZE_HAS_ENDPOINT_CTX = "endpoint_ctx" in _serialize_parameters
VALIDATION_ERROR_HAS_ENDPOINT_CTX = "endpoint_ctx" in inspect.signature(RequestValidationError.__init__).parameters

# 0.137+: routers included into an app are contexts, not copies.
IncludedRouter = getattr(fastapi_routing, "_IncludedRouter", None)
effective_route_context_var = getattr(fastapi_routing, "_effective_route_context_var", None)
update_scope = getattr(fastapi_routing, "_update_scope", None)
get_fastapi_scope = getattr(fastapi_routing, "_get_fastapi_scope", None)
EFFECTIVE_CONTEXT_KEY = getattr(fastapi_routing, "_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY", None)
INCLUDED_ROUTER_KEY = getattr(fastapi_routing, "_FASTAPI_INCLUDED_ROUTER_KEY", None)
extract_endpoint_context = getattr(fastapi_routing, "_extract_endpoint_context", None)
# The ASGI app FastAPI makes of a route's handler (its own copy, with the exit stacks, on 0.118+;
# Starlette's before).
request_response = fastapi_routing.request_response

PLAIN_RESPONSE_CALL = starlette.responses.Response.__call__

_should_embed_body_fields = getattr(dependency_utils, "_should_embed_body_fields", None)
_get_form_models = getattr(dependency_utils, "_get_form_models", None)


def single_body_field(body_fields, embed_body_fields):
    """The body field FastAPI validates against the whole JSON body (``request_body_to_args``'
    "single not embedded field", as the installed version decides it), or None."""
    if len(body_fields) != 1 or embed_body_fields:
        return None
    if _should_embed_body_fields is not None and _should_embed_body_fields(body_fields):
        return None
    if _get_form_models is not None and _get_form_models(body_fields[0]):
        return None
    return body_fields[0]


def is_plain_response(response):
    """A response whose body is all in ``.body`` (not streamed, not a file): the runtime
    writes it directly instead of calling it as an ASGI app."""
    return type(response).__call__ is PLAIN_RESPONSE_CALL

from starlette._utils import is_async_callable  # noqa: E402,F401 - looked up once, used as support.*
from fastapi.utils import is_body_allowed_for_status_code  # noqa: E402,F401 - used as support.*
from pydantic_core import PydanticUndefined as UNDEFINED  # noqa: E402 - FastAPI's "no value"

# What a request without a body hands to body validation: None until 0.150, then "no value"
# (JSON null and a missing body became different things in 0.151).
MISSING_BODY = UNDEFINED if FASTAPI_VERSION >= (0, 151, 0) else None
