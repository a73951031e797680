"""POST /echo: the JSON body back, with 201."""
import json


def handler(event):
    return {"status": 201, "headers": {"x-runtime": "python"}, "body": json.loads(event["body"] or "null")}
