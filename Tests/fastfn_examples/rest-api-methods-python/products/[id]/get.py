# Modelled on rest-api-methods/products/[id]/get.py: GET /products/:id, `id` injected by name
def handler(event, id):
    return {"status": 200, "body": {"id": int(id), "name": "Widget", "price": 9.99}}
