"""Turning return values into JSON when orjson cannot on its own."""
import dataclasses
import enum
import json

import orjson
import pydantic


def jsonable(value):
    """Plain JSON data for ``value``, as FastAPI's jsonable_encoder would produce."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {jsonable(k) if not isinstance(k, str) else k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, bytes):
        return value.decode()
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return str(value)


def to_json(value):
    """JSON bytes for any return value (the slow path; orjson handles plain data directly).
    What orjson cannot encode (integers beyond 64 bits) goes through the standard library with
    the same compact output as FastAPI's JSONResponse."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        data = jsonable(value)
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
