package main

// Modelled on assets-worker-first/go/api-go: GET /api-go

import "encoding/json"

func handler(_ map[string]interface{}) interface{} {
	body, _ := json.Marshal(map[string]string{"runtime": "go", "title": "Go worker endpoint", "path": "/api-go"})
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}
