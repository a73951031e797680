# Modelled on examples/functions/python/hello: GET /hello?name=X, prefixed by fn.env.json's
# GREETING_PREFIX.
import json


def handler(event):
    name = (event.get("query") or {}).get("name", "world")
    prefix = (event.get("env") or {}).get("GREETING_PREFIX")
    message = f"{prefix} {name}" if prefix else name
    return {"status": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"hello": message}, separators=(",", ":"))}
