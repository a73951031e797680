# Modelled on platform-equivalents/auth/get.profile.py: GET /auth/profile checks the bearer token
# that POST /auth/login (Node) signed.
import base64
import hashlib
import hmac
import json
import time


def deny(message):
    return {"status": 401, "body": json.dumps({"error": message})}


def handler(event):
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    authorization = headers.get("authorization", "")
    if not authorization.startswith("Bearer "):
        return deny("Missing Authorization: Bearer <token>")
    parts = authorization[len("Bearer "):].split(".")
    if len(parts) != 2:
        return deny("Malformed token")
    encoded, signature = parts
    secret = (event.get("env") or {}).get("AUTH_SECRET") or "fastfn-auth-secret"
    expected = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, expected):
        return deny("Invalid signature")
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    if payload.get("exp", 0) <= int(time.time()):
        return deny("Token expired")
    return {"status": 200, "body": json.dumps({"sub": payload.get("sub"), "role": payload.get("role"),
                                                "expires_at": payload.get("exp")})}
