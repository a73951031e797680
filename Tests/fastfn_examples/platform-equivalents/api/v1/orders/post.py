# Modelled on platform-equivalents/api/v1/orders/post.py: POST /api/v1/orders creates an order in a
# state file that the PHP and Node order routes read too.
import json
import time
from pathlib import Path

STATE = Path(__file__).resolve().parent / ".state" / "orders.json"


def handler(event):
    body = json.loads(event.get("body") or "{}")
    customer = str(body.get("customer") or "").strip()
    items = body.get("items") or []
    if not customer:
        return {"status": 400, "body": json.dumps({"error": "customer is required"})}
    if not items:
        return {"status": 400, "body": json.dumps({"error": "items is required"})}
    try:
        orders = json.loads(STATE.read_text())
    except (OSError, ValueError):
        orders = []
    order = {"id": max((o.get("id", 0) for o in orders), default=0) + 1, "customer": customer, "items": items,
             "status": "pending", "created_at": int(time.time())}
    orders.append(order)
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps(orders, indent=2))
    return {"status": 201, "body": json.dumps({"ok": True, "order": order})}
