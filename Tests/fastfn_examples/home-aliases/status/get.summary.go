package main

// Folder home alias: /status runs GET /status/summary.
func handler(event map[string]interface{}) interface{} {
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"},
		"body": `{"page":"summary","runtime":"go"}`}
}
