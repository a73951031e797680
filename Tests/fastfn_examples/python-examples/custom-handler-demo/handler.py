# Modelled on examples/functions/python/custom-handler-demo: the callable is `main`.
import json


def main(event):
    name = (event.get("query") or {}).get("name", "world")
    return {"status": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"runtime": "python", "handler": "main", "hello": name})}
