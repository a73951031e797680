# Modelled on docs/en/articles/file-based-method-routing.md ("Shared utilities"): POST /products
# imports its helper as `from products._helpers import ...`.
import json

from products._helpers import validate_product


def handler(event):
    product, error = validate_product(json.loads(event.get("body") or "{}"))
    if error:
        return {"status": 400, "body": {"error": error}}
    return {"status": 201, "body": {"id": 42, **product, "created": True}}
