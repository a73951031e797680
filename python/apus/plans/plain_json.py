"""Recognizing values ``jsonable_encoder`` returns unchanged: dicts with ``str`` keys, lists and
tuples (``json.dumps`` writes a tuple as the list the encoder would make), and ``str``, ``int``,
``float``, ``bool`` and None — exact types only, so a ``str`` enum or a subclass takes the
encoder's path. Such a value can go straight to ``JSONResponse``."""
from pydantic import BaseModel

_SCALARS = frozenset((str, int, float, bool, type(None)))


def is_plain_json(value, depth=0):
    kind = type(value)
    if kind in _SCALARS:
        return True
    if depth > 32:
        return False
    # Scalar members are checked inline: no call per leaf.
    if kind is dict:
        for key, item in value.items():
            # jsonable_encoder drops SQLAlchemy's "_sa..." keys.
            if type(key) is not str or key.startswith("_sa"):
                return False
            if type(item) not in _SCALARS and not is_plain_json(item, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            if type(item) not in _SCALARS and not is_plain_json(item, depth + 1):
                return False
        return True
    return False


def model_as_plain_json(value):
    """What ``jsonable_encoder`` returns for a pydantic model with its default options (the
    model's JSON-mode dump by alias, then encoded again), when that dump is plain JSON data; else
    None (the encoder's own path decides)."""
    if not isinstance(value, BaseModel) or type(value).model_dump is not BaseModel.model_dump:
        return None
    data = value.model_dump(mode="json", by_alias=True)
    if type(data) is dict and "__root__" in data:  # FastAPI 0.115 unwraps it
        return None
    return data if is_plain_json(data) else None
