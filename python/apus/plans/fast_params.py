"""The happy path of parameter conversion, without pydantic, for the parameters where its result
is known: ``str``, ``int``, ``float`` and ``bool`` (optional or not, a plain alias, a default
that is None or of the parameter's type, and for numbers the bounds ``ge``, ``gt``, ``le``,
``lt``), given text pydantic converts without question (``42``, ``-7``, ``2.5``, ``true``) and,
for a bounded number, a value within its bounds. Anything else — a missing required value,
``+5``, ``1e3``, a value out of bounds, a list, a model — makes the whole group go through
FastAPI's own ``request_params_to_args``, which then produces the value or the exact 422 error."""
import operator
import re
import types
import typing
from urllib.parse import parse_qsl

import annotated_types
from fastapi import params

_PLAIN_INTEGER = re.compile(r"-?[0-9]{1,18}")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "t": True, "y": True,
             "false": False, "0": False, "no": False, "off": False, "f": False, "n": False}
_MISSING = object()


def _as_str(raw):
    return raw


def _as_int(raw):
    return int(raw) if _PLAIN_INTEGER.fullmatch(raw) else _MISSING


def _as_float(raw):
    return float(raw) if _PLAIN_DECIMAL.fullmatch(raw) else _MISSING


def _as_bool(raw):
    return _BOOLEANS.get(raw, _MISSING)


_CONVERTERS = {str: _as_str, int: _as_int, float: _as_float, bool: _as_bool}


class FastField:
    __slots__ = ("name", "alias", "convert", "required", "default")

    def __init__(self, name, alias, convert, required, default):
        self.name = name
        self.alias = alias
        self.convert = convert
        self.required = required
        self.default = default


# The bounds pydantic checks for numbers, as (attribute, test the value must pass).
_BOUNDS = {annotated_types.Ge: ("ge", operator.ge), annotated_types.Gt: ("gt", operator.gt),
           annotated_types.Le: ("le", operator.le), annotated_types.Lt: ("lt", operator.lt)}


def _bounds(metadata):
    """The bounds in ``metadata`` as (test the value must pass, limit); None if it holds
    anything but plain number bounds."""
    checks = []
    for item in metadata:
        bound = _BOUNDS.get(type(item))
        if bound is None:
            return None
        limit = getattr(item, bound[0])
        if type(limit) not in (int, float):
            return None
        checks.append((bound[1], limit))
    return checks


def _within(value, checks):
    for passes, limit in checks:
        if not passes(value, limit):
            return False
    return True


def _bounded(convert, checks):
    """``convert``, giving ``_MISSING`` (pydantic decides, and reports) for a value outside
    the bounds."""
    def convert_within(raw):
        value = convert(raw)
        if value is _MISSING or not _within(value, checks):
            return _MISSING
        return value
    return convert_within


def compile_group(fields, lower_alias=False):
    """``FastField``s for a group of parameters, or None if any of them needs pydantic."""
    compiled = []
    for field in fields:
        fast = _compile_field(field, lower_alias)
        if fast is None:
            return None
        compiled.append(fast)
    return compiled


def _compile_field(field, lower_alias):
    info = field.field_info
    if not isinstance(info, params.Param):
        return None
    metadata = getattr(info, "metadata", None)
    if getattr(info, "validation_alias", None) is not None or getattr(info, "discriminator", None) is not None:
        return None
    annotation = info.annotation
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(arguments) != 1 or len(typing.get_args(annotation)) != 2:
            return None
        annotation = arguments[0]
        optional = True
    convert = _CONVERTERS.get(annotation)
    if convert is None:
        return None
    checks = None
    if metadata:
        checks = _bounds(metadata) if annotation in (int, float) else None
        if checks is None:
            return None
        convert = _bounded(convert, checks)
    required = info.is_required()
    default = None if required else info.default
    if not required and not (default is None or type(default) is annotation):
        return None
    if default is None and not required and not optional:
        return None  # None is not a valid value: pydantic decides
    if checks and default is not None and not _within(default, checks):
        return None  # FastAPI before 0.148 validates the default, and refuses it
    alias = field.alias
    if not isinstance(alias, str):
        return None
    return FastField(field.name, alias.lower() if lower_alias else alias, convert, required, default)


def extract(group, lookup, values):
    """Fills ``values`` from ``lookup(alias)`` (text or None); False when pydantic must decide."""
    for field in group:
        raw = lookup(field.alias)
        if raw is None:
            if field.required:
                return False
            values[field.name] = field.default
            continue
        value = field.convert(raw)
        if value is _MISSING:
            return False
        values[field.name] = value
    return True


def query_values(query_string):
    """The query's last value per name, as Starlette's ``QueryParams`` reads it (``parse_qsl``
    with blank values kept); text with no escapes and no "+" is split without it."""
    text = query_string.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    values = {}
    for piece in text.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            values[name] = value
    return values
