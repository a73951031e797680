package main

// Modelled on rest-api-methods/files/[...path]/get.go: GET /files/*; the catch-all arrives as
// event["path"] (in place of the request path).

import (
	"encoding/json"
	"strings"
)

func handler(event map[string]interface{}) interface{} {
	path, _ := event["path"].(string)
	segments := []string{}
	if path != "" {
		segments = strings.Split(path, "/")
	}
	body, _ := json.Marshal(map[string]interface{}{"path": path, "segments": segments, "depth": len(segments)})
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}
