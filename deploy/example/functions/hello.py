def handler(event):
    return {"hello": event["query"].get("name", "world")}
