"""The plans' shortcuts against the library code they stand in for, on many inputs: a shortcut
that disagrees anywhere must not be used."""
import os
import random
import sys
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

from starlette.responses import JSONResponse  # noqa: E402

from apus.plans import fast_params, fast_render  # noqa: E402
from apus.plans.plain_json import is_plain_json  # noqa: E402


def test_query_values_read_every_query_as_starlette_does():
    pieces = ["a", "b", "=", "&", "%", "+", "2", "0", "%20", "%zz", "é", ";", " ", "%C3%A9", "%ff"]
    rng = random.Random(7)
    for _ in range(20_000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))).encode("utf-8")
        want = dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))
        assert fast_params.query_values(raw) == want, raw


def test_json_messages_are_the_bytes_starlette_renders():
    assert fast_render.AVAILABLE
    rng = random.Random(11)
    scalars = [0, -1, 2**70, 1e-07, 1e16, 2.5, -0.0, True, False, None, "", "café ☕", "\u0001\"\\", "\ud7ff"]

    def value(depth):
        kind = rng.randrange(4 if depth < 4 else 1)
        if kind == 0:
            return rng.choice(scalars)
        if kind == 1:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        if kind == 2:
            return tuple(value(depth + 1) for _ in range(rng.randrange(3)))
        return {rng.choice(["a", "b", "ünï", ""]): value(depth + 1) for _ in range(rng.randrange(4))}

    for _ in range(5_000):
        content = value(0)
        assert is_plain_json(content)
        expected = JSONResponse(content, status_code=201)
        message = fast_render.json_message(201, content)
        assert (message.status, list(message.headers), message.body, message.more) == (
            201, expected.raw_headers, expected.body, False)


def test_values_starlette_cannot_render_fail_the_same_way():
    for bad in (float("nan"), [float("inf")], {"x": float("-inf")}):
        try:
            JSONResponse(bad)
        except ValueError as error:
            expected = str(error)
        try:
            fast_render.json_message(200, bad)
        except ValueError as error:
            assert str(error) == expected
        else:
            raise AssertionError(f"{bad!r} rendered")
        # and nothing is left behind for the next value
        assert fast_render.json_message(200, {"ok": [1]}).body == b'{"ok":[1]}'


def test_parameter_conversions_agree_with_pydantic():
    """Whatever text a fast conversion accepts, pydantic (the field's own validation) accepts with
    the same value and type; what it declines is left to pydantic. Bounds included."""
    from typing import Annotated

    from fastapi import FastAPI, Query

    app = FastAPI()

    @app.get("/")
    def endpoint(a: int, b: float, c: bool, d: str, e: Annotated[int, Query(ge=0, le=100)] = 5,
                 f: Annotated[float, Query(gt=-1.5, lt=2.5)] = 0.0, g: int | None = None,
                 h: Annotated[int, Query(gt=3)] = 4):
        return None

    fields = app.routes[-1].dependant.query_params
    compiled = fast_params.compile_group(fields)
    assert compiled is not None and [f.name for f in compiled] == list("abcdefgh")
    pieces = ["0", "1", "2", "5", "9", "-", "+", ".", "e", "1e3", "100", "101", "true", "no", "on", " ", "_", "x",
              "3", "4", "2.5", "-1.5", "00"]
    rng = random.Random(3)
    accepted = 0
    for _ in range(20_000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
        for field, fast in zip(fields, compiled):
            converted = fast.convert(raw)
            if converted is fast_params._MISSING:
                continue
            value, errors = field.validate(raw, {}, loc=("query", field.alias))
            assert not errors and value == converted and type(value) is type(converted), (field.name, raw)
            accepted += 1
    assert accepted > 10_000


def test_models_dump_as_jsonable_encoder_encodes_them():
    """A pydantic model returned without a response model: its own JSON-mode dump stands in for
    jsonable_encoder only where the two agree."""
    import datetime
    import decimal
    import enum
    import uuid

    from fastapi.encoders import jsonable_encoder
    from pydantic import BaseModel, Field

    from apus.plans.plain_json import model_as_plain_json

    class Color(enum.Enum):
        RED = "red"

    class Inner(BaseModel):
        when: datetime.datetime
        amount: decimal.Decimal
        tags: set[str] = set()

    class Outer(BaseModel):
        name: str = Field(alias="displayName")
        inner: Inner | None = None
        color: Color = Color.RED
        ident: uuid.UUID = uuid.UUID(int=7)
        items: list[tuple[int, float]] = []
        sa_hidden: dict = {}

    rng = random.Random(5)
    agreed = 0
    for _ in range(500):
        inner = Inner(when=datetime.datetime(2026, 1, rng.randint(1, 28), tzinfo=datetime.timezone.utc),
                      amount=decimal.Decimal(rng.choice(["1", "1.50", "-0.001", "1E+3"])),
                      tags={rng.choice("abc") for _ in range(rng.randrange(3))})
        value = Outer(displayName=rng.choice(["x", "ünï"]), inner=rng.choice([inner, None]),
                      items=[(rng.randrange(9), rng.random()) for _ in range(rng.randrange(3))],
                      sa_hidden=rng.choice([{}, {"_sa_state": 1}, {"k": [1, None]}]))
        fast = model_as_plain_json(value)
        if fast is not None:
            assert fast == jsonable_encoder(value)
            assert JSONResponse(fast).body == JSONResponse(jsonable_encoder(value)).body
            agreed += 1
    assert agreed > 200