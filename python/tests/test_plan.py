"""Plans are built once, at decoration; a handler that cannot be served fails there."""
import pytest
from pydantic import BaseModel

from apus import FastAPI
from apus._plan import PlanError, RoutePlan


class Item(BaseModel):
    name: str


def test_sources_and_kinds():
    def handler(item_id: int, item: Item, q: str | None = None, ratio: float = 1.0, flag: bool = False, raw=None):
        pass

    plan = RoutePlan(handler, "/items/{item_id}")
    got = {p.name: (p.source, p.kind, p.required) for p in plan.params}
    assert got == {
        "item_id": ("path", "int", True),
        "item": ("body", "model", True),
        "q": ("query", "other", False),
        "ratio": ("query", "float", False),
        "flag": ("query", "bool", False),
        "raw": ("query", "str", False),
    }


def test_response_model_from_the_return_annotation():
    def handler() -> Item:
        pass

    assert RoutePlan(handler, "/").response_model is Item


def test_a_path_parameter_the_handler_does_not_take_fails_at_declaration():
    app = FastAPI()
    with pytest.raises(PlanError, match="item_id"):
        @app.get("/items/{item_id}")
        def handler():
            pass


def test_var_args_fail_at_declaration_naming_the_function():
    app = FastAPI()
    with pytest.raises(PlanError, match="handler"):
        @app.get("/")
        def handler(*args):
            pass


def test_error_body_matches_fastapi():
    def handler(item_id: int, q: int = 0):
        pass

    body = RoutePlan(handler, "/items/{item_id}").error_body({"item_id": "x"}, [("q", "y")], b"")
    assert body == (b'{"detail":[{"type":"int_parsing","loc":["path","item_id"],"msg":"Input should be a valid '
                    b'integer, unable to parse string as an integer","input":"x"},{"type":"int_parsing","loc":'
                    b'["query","q"],"msg":"Input should be a valid integer, unable to parse string as an integer",'
                    b'"input":"y"}]}')
