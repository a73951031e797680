"""GET /users/{id}: typed parameters make this a real FastAPI route (validation, 422, OpenAPI)."""


def handler(id: int, q: str | None = None) -> dict:
    return {"id": id, "q": q, "runtime": "python"}
