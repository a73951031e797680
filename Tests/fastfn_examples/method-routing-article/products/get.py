# Modelled on docs/en/articles/file-based-method-routing.md: GET /products
def handler(event):
    return {"status": 200, "body": {"products": [{"id": 1, "name": "Widget", "price": 9.99}], "total": 1}}
