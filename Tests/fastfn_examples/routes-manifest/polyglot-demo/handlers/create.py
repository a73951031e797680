# Modelled on FastFN's polyglot-demo fixture (fn.routes.json "POST /items": "handlers/create.py")
import json


def handler(event):
    item = json.loads(event.get("body") or "{}")
    return {"status": 201, "body": {"created": item, "runtime": "python"}}
