# Modelled on rest-api-methods/products/[id]/put.py: PUT /products/:id
import json


def handler(event, id):
    try:
        data = json.loads(event.get("body") or "{}")
    except ValueError:
        return {"status": 400, "body": {"error": "Invalid JSON"}}
    return {"status": 200, "body": {"id": int(id), **data, "updated": True}}
