package main

// Modelled on FastFN's polyglot-demo fixture: "GET /items/:id/stock" mapped to a Go file.

import "encoding/json"

func handler(event map[string]interface{}) interface{} {
	id, _ := event["id"].(string)
	body, _ := json.Marshal(map[string]interface{}{"id": id, "stock": 7, "runtime": "go"})
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}
