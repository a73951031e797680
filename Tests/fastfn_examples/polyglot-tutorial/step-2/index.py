# Modelled on polyglot-tutorial/step-2 (Python): GET /polyglot-tutorial/step-2?name=<name>
import json


def handler(event):
    name = (event.get("query") or {}).get("name") or "friend"
    return {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"step": 2, "message": f"Hello {name} from Python.", "runtime": "python", "name": name}),
    }
