package main

// Modelled on rest-api-methods/products/[id]/put.go: PUT /products/:id

import (
	"encoding/json"
	"strconv"
)

func handler(event map[string]interface{}) interface{} {
	text, _ := event["id"].(string)
	id, _ := strconv.Atoi(text)
	raw, _ := event["body"].(string)
	var data map[string]interface{}
	if err := json.Unmarshal([]byte(raw), &data); err != nil {
		body, _ := json.Marshal(map[string]string{"error": "Invalid JSON"})
		return map[string]interface{}{"status": 400, "body": string(body)}
	}
	data["id"] = id
	data["updated"] = true
	body, _ := json.Marshal(data)
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}
