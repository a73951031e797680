# Modelled on rest-api-methods/products/post.py: POST /products
import json


def handler(event):
    raw = event.get("body") or ""
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else (raw or {})
    except ValueError:
        return {"status": 400, "body": {"error": "Invalid JSON"}}
    name = str(data.get("name") or "").strip()
    if not name:
        return {"status": 400, "body": {"error": "name is required"}}
    return {"status": 201, "body": {"id": 42, "name": name, "price": data.get("price", 0), "created": True}}
