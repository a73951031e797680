"""Private helper of the products routes (ignored by the router: it starts with `_`)."""


def validate_product(data):
    name = str((data or {}).get("name") or "").strip()
    if not name:
        return None, "name is required"
    return {"name": name, "price": data.get("price", 0)}, None
