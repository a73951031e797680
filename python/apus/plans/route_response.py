"""How a route turns its endpoint's return value into a response, as FastAPI's request handler
does for the installed version: ``serialize_response`` with the route's ``response_model_*``
options (its ``dump_json`` fast path where it has one), then the route's response class, with no
body for a status that forbids one. For the two responses most endpoints produce (plain JSON data
in a ``JSONResponse``, FastAPI's JSON bytes), the runtime's message is written directly
(``fast_render``), byte for byte what the ``Response`` would render."""
from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse, Response

from . import fast_render, support
from .runner import drive
from .plain_json import is_plain_json, model_as_plain_json

_UNDEFINED = object()
_NOT_PLAIN = object()


def _plain_content(raw):
    """What ``jsonable_encoder`` returns for ``raw`` when that is plain JSON data found without
    it (plain data as it is, a pydantic model's own dump); else ``_NOT_PLAIN``."""
    if is_plain_json(raw):
        return raw
    content = model_as_plain_json(raw)
    return _NOT_PLAIN if content is None else content


class RouteResponse:
    """``spec``: an ``APIRoute``, or an included router's route context (FastAPI 0.137+)."""

    __slots__ = ("endpoint", "status_code", "response_class", "dump_json", "serialize_options", "plain_json",
                 "fast_status", "fast_render", "_endpoint_context")

    def __init__(self, spec, endpoint):
        self.endpoint = endpoint
        self.status_code = spec.status_code
        response_class = spec.response_class
        default_class = isinstance(response_class, DefaultPlaceholder)
        self.response_class = response_class.value if default_class else response_class
        response_field = spec.response_field
        self.dump_json = support.SERIALIZE_HAS_DUMP_JSON and response_field is not None and default_class
        self.serialize_options = dict(
            field=response_field,
            include=spec.response_model_include,
            exclude=spec.response_model_exclude,
            by_alias=spec.response_model_by_alias,
            exclude_unset=spec.response_model_exclude_unset,
            exclude_defaults=spec.response_model_exclude_defaults,
            exclude_none=spec.response_model_exclude_none,
            is_coroutine=True,  # validate here, on this thread
        )
        if support.SERIALIZE_HAS_DUMP_JSON:
            self.serialize_options["dump_json"] = self.dump_json
        self.plain_json = default_class and response_field is None and self.response_class is JSONResponse
        self.fast_status = self.status_code or 200
        self.fast_render = fast_render.AVAILABLE and support.is_body_allowed_for_status_code(self.fast_status) \
            and (self.plain_json or self.dump_json)
        self._endpoint_context = _UNDEFINED

    @property
    def endpoint_context(self):
        """FastAPI's context of the endpoint for error messages (its file, line and name),
        made when first needed, as FastAPI makes it: reading the source costs, per route."""
        if self._endpoint_context is _UNDEFINED:
            extract = support.extract_endpoint_context
            self._endpoint_context = extract(self.endpoint) if extract is not None else None
        return self._endpoint_context

    def serialize(self, raw):
        """FastAPI's ``serialize_response`` for the route's options."""
        if support.SERIALIZE_HAS_ENDPOINT_CTX:
            return drive(support.serialize_response(
                response_content=raw, endpoint_ctx=self.endpoint_context, **self.serialize_options))
        return drive(support.serialize_response(response_content=raw, **self.serialize_options))

    def fast_message(self, raw):
        """The runtime's message for the return value with the route's own status, when it is one
        Starlette would write from plain JSON data or FastAPI's JSON bytes; else None."""
        if not self.fast_render:
            return None
        if self.plain_json:
            content = _plain_content(raw)
            return None if content is _NOT_PLAIN else fast_render.json_message(self.fast_status, content)
        if isinstance(raw, Response):
            return None
        return fast_render.bytes_message(self.fast_status, self.serialize(raw))

    def build(self, raw, arguments):
        """The response for a return value that is not a ``Response``; ``arguments``: the
        response class's ``status_code`` and ``background``."""
        content = _plain_content(raw) if self.plain_json else _NOT_PLAIN
        if content is _NOT_PLAIN:
            content = self.serialize(raw)
        if self.dump_json:
            response = Response(content=content, media_type="application/json", **arguments)
        else:
            response = self.response_class(content, **arguments)
        if not support.is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        return response
