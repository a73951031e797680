"""JSON as Starlette's ``JSONResponse`` renders it (``json.dumps(ensure_ascii=False,
allow_nan=False, indent=None, separators=(",", ":"))``), from the standard library alone: a
functions tree is served without FastAPI or Starlette installed."""
import json
from json import encoder as _json_encoder

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


def _make_encode():
    """``_ENCODER.encode``, minus the encoder object ``json`` builds on every call: the same C
    encoder, made once. Without circular-reference markers, which plain JSON data (see
    ``plans.plain_json``, depth-limited) cannot need, so no state is left behind by a value that
    fails to encode."""
    make = _json_encoder.c_make_encoder
    if make is None:
        return _ENCODER.encode
    iterencode = make(None, _ENCODER.default, _json_encoder.encode_basestring, None, ":", ",",
                      False, False, False)
    join = "".join
    return lambda content: join(iterencode(content, 0))


encode = _make_encode()
