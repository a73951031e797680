# Modelled on rest-api-methods/products/[id]/delete.py: DELETE /products/:id
def handler(event, id):
    return {"status": 200, "body": {"id": int(id), "deleted": True}}
