# Modelled on platform-equivalents/webhooks/post.github-signed.py: POST /webhooks/github-signed
# verifies an HMAC-SHA256 signature of the raw body.
import hashlib
import hmac
import json


def handler(event):
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    signature = headers.get("x-hub-signature-256", "")
    if not signature:
        return {"status": 401, "body": json.dumps({"error": "Missing x-hub-signature-256 header"})}
    raw = event.get("body") or ""
    secret = (event.get("env") or {}).get("WEBHOOK_SECRET") or "fastfn-webhook-secret"
    expected = "sha256=" + hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, expected):
        return {"status": 401, "body": json.dumps({"error": "Signature mismatch"})}
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = {}
    return {"status": 202, "body": json.dumps({"ok": True, "event": headers.get("x-github-event", "unknown"),
                                                "action": payload.get("action")})}
