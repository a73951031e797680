package main

// Modelled on examples/functions/go/session-demo/main.go: event["session"] from the Cookie header.

import "encoding/json"

func reply(status int, payload interface{}) map[string]interface{} {
	body, _ := json.Marshal(payload)
	return map[string]interface{}{"status": status, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}

func handler(event map[string]interface{}) interface{} {
	session, _ := event["session"].(map[string]interface{})
	id, _ := session["id"].(string)
	cookies, _ := session["cookies"].(map[string]interface{})
	if cookies == nil {
		cookies = map[string]interface{}{}
	}
	if id == "" {
		return reply(401, map[string]string{"error": "No session cookie found", "hint": "Send Cookie: session_id=your-token"})
	}
	theme, _ := cookies["theme"].(string)
	if theme == "" {
		theme = "light"
	}
	return reply(200, map[string]interface{}{"authenticated": true, "session_id": id, "theme": theme, "all_cookies": cookies})
}
