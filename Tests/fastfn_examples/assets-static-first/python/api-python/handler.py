# Modelled on assets-static-first/python/api-python: GET /api-python, beside the static assets.
import json


def handler(_event):
    return {"status": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"runtime": "python", "title": "Python fallback route", "path": "/api-python"})}
