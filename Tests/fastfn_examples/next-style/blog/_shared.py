"""Private helper (not a route) for blog/index.py and blog/[...slug].py."""
import json


def blog_payload(route, params=None, intro=None):
    params = dict(params or {})
    payload = {"route": route, "params": params, "runtime": "python", "helper": "blog/_shared.py"}
    if isinstance(params.get("slug"), str) and params["slug"]:
        payload["slug"] = params["slug"]
    if intro:
        payload["intro"] = intro
    return {"status": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(payload)}
