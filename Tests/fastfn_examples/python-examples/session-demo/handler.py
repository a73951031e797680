# Modelled on examples/functions/python/session-demo: event.session from the Cookie header.
import json


def handler(event):
    session = event.get("session") or {}
    cookies = session.get("cookies") or {}
    print(f"[session-demo] session_id = {session.get('id')}")
    if not session.get("id"):
        return {"status": 401, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"error": "No session cookie found", "hint": "Send Cookie: session_id=your-token"})}
    return {"status": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"authenticated": True, "session_id": session["id"], "theme": cookies.get("theme", "light"),
                                "all_cookies": cookies})}
