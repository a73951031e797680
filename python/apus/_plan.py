"""Injection plans: each decorated handler is read once, at registration, into a plan that says
where every argument comes from, its type and its default. The runtime executes the plan per
request (natively for plain scalars); this module also builds the 422 body when a request does
not fit, with pydantic as the single source of error messages."""
import inspect
import json
import re
import typing

import orjson
import pydantic
from pydantic import TypeAdapter

from ._encoders import jsonable

_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
_NATIVE_KINDS = {int: "int", float: "float", bool: "bool", str: "str"}
_EMPTY = inspect.Parameter.empty


class PlanError(Exception):
    """A handler signature the runtime cannot serve; raised at registration."""


class ParamPlan:
    """One argument: its source ("path", "query" or "body"), how to convert it, its default."""

    __slots__ = ("name", "source", "kind", "required", "default", "annotation", "adapter", "model")

    def __init__(self, name, source, annotation, default):
        self.name = name
        self.source = source
        self.annotation = annotation
        self.required = default is _EMPTY
        self.default = None if default is _EMPTY else default
        inner = _strip_optional(annotation)
        self.model = inner if _is_model(inner) else None
        if self.model is not None:
            self.kind = "model"
        elif annotation is _EMPTY:
            self.kind = "str"
        else:
            self.kind = _NATIVE_KINDS.get(annotation, "other")
        self.adapter = TypeAdapter(str if annotation is _EMPTY else annotation)

    def convert(self, raw):
        """The slow path: pydantic validates what the native path could not."""
        if self.model is not None:
            return self.model.model_validate_json(raw)
        return self.adapter.validate_python(raw)

    def __repr__(self):
        return f"ParamPlan({self.name!r}, {self.source}, {self.kind}, required={self.required})"


class RoutePlan:
    """Everything the runtime needs to call one endpoint."""

    __slots__ = ("endpoint", "is_coroutine", "params", "path_names", "response_model", "status_code",
                 "response_class")

    def __init__(self, endpoint, path, status_code=None, response_model=None, response_class=None):
        # None: the default JSON rendering, which the runtime does natively.
        self.response_class = response_class
        self.endpoint = endpoint
        self.is_coroutine = inspect.iscoroutinefunction(endpoint)
        self.status_code = status_code or 200
        self.path_names = _PATH_PARAM.findall(path)
        try:
            signature = inspect.signature(endpoint)
            hints = typing.get_type_hints(endpoint)
        except (TypeError, NameError) as error:
            raise PlanError(f"{_where(endpoint)}: cannot read the signature: {error}") from error
        params = []
        for name, parameter in signature.parameters.items():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise PlanError(f"{_where(endpoint)}: *{name} parameters cannot be sourced from a request")
            annotation = hints.get(name, _EMPTY)
            if name in self.path_names:
                source = "path"
            elif _is_model(_strip_optional(annotation)):
                source = "body"
            else:
                source = "query"
            params.append(ParamPlan(name, source, annotation, parameter.default))
        missing = set(self.path_names) - {p.name for p in params}
        if missing:
            raise PlanError(f"{_where(endpoint)}: path parameter(s) {sorted(missing)} are not arguments of the handler")
        self.params = tuple(params)
        if response_model is None:
            returned = hints.get("return")
            response_model = returned if _is_model(returned) else None
        self.response_model = response_model

    def error_body(self, path_params, query, body, content_type=None):
        """The 422 body for a request the native path refused, computed again with pydantic.

        ``path_params``: {name: str}; ``query``: [(name, value)]; ``body``: bytes;
        ``content_type``: the request's, or None."""
        query_values = {}
        for key, value in query:
            query_values[key] = value  # the last value wins, as in FastAPI
        errors = []
        for param in self.params:
            if param.source == "path":
                raw, present = path_params.get(param.name), param.name in path_params
            elif param.source == "query":
                raw, present = query_values.get(param.name), param.name in query_values
            else:
                raw, present = body, bool(body)
            if not present:
                if param.required:
                    loc = ("body",) if param.source == "body" else (param.source, param.name)
                    errors.append({"type": "missing", "loc": loc, "msg": "Field required", "input": None})
                continue
            if param.source == "body":
                errors.extend(_body_errors(param, raw, content_type))
                continue
            try:
                param.convert(raw)
            except pydantic.ValidationError as error:
                errors.extend(_located(error, param))
        return orjson.dumps({"detail": jsonable(errors)})


def is_json_content_type(content_type):
    """FastAPI reads a body as JSON when there is no content type, or it is JSON (+json too)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _body_errors(param, body, content_type):
    if is_json_content_type(content_type):
        try:
            value = json.loads(body)
        except json.JSONDecodeError as error:
            return [{"type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error",
                     "input": {}, "ctx": {"error": error.msg}}]
    else:
        value = body  # FastAPI validates the raw bytes of a body that is not JSON
    try:
        param.adapter.validate_python(value, from_attributes=True)
    except pydantic.ValidationError as error:
        return _located(error, param)
    return []


def _located(error, param):
    prefix = ("body",) if param.source == "body" else (param.source, param.name)
    out = []
    for item in error.errors(include_url=False):
        entry = {"type": item["type"], "loc": prefix + tuple(item["loc"]), "msg": item["msg"], "input": item["input"]}
        if "ctx" in item:
            entry["ctx"] = item["ctx"]
        out.append(entry)
    return out


def _strip_optional(annotation):
    if typing.get_origin(annotation) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_model(annotation):
    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)


def _where(endpoint):
    code = getattr(endpoint, "__code__", None)
    name = getattr(endpoint, "__qualname__", repr(endpoint))
    return f"{name} ({code.co_filename}:{code.co_firstlineno})" if code else name
