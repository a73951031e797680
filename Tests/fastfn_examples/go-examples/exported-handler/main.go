package main

// Modelled on the handler contract of examples/functions/go/README.md: a Go function exports
// `handler` (or `Handler`); this one exports `Handler`.

import "encoding/json"

func Handler(event map[string]interface{}) interface{} {
	query, _ := event["query"].(map[string]interface{})
	name, _ := query["name"].(string)
	if name == "" {
		name = "world"
	}
	body, _ := json.Marshal(map[string]string{"hello": name, "runtime": "go"})
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}
