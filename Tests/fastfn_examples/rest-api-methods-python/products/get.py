# Modelled on rest-api-methods/products/get.py: GET /products
def handler(event):
    products = [{"id": 1, "name": "Widget", "price": 9.99}, {"id": 2, "name": "Gadget", "price": 24.99}]
    return {"status": 200, "body": {"products": products, "total": len(products)}}
