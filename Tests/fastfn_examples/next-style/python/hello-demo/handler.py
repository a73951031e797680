# Modelled on next-style/python/hello-demo: a function whose fn.config.json sets
# invoke.routes to /hello-demo/:name.
import json


def handler(event):
    params = event.get("params") or {}
    query = event.get("query") or {}
    name = str(params.get("name") or query.get("name") or "world")
    greeting = "Hola" if str(query.get("lang") or "en").lower().startswith("es") else "Hello"
    return {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"route": "GET /hello-demo/:name", "runtime": "python", "message": f"{greeting} {name}",
                            "name": name, "params": params, "query": query}),
    }
