package main

// Modelled on rest-api-methods/products/post.go: POST /products

import (
	"encoding/json"
	"strings"
)

func handler(event map[string]interface{}) interface{} {
	raw, _ := event["body"].(string)
	var data map[string]interface{}
	if err := json.Unmarshal([]byte(raw), &data); err != nil {
		return jsonReply(400, map[string]string{"error": "Invalid JSON"})
	}
	name, _ := data["name"].(string)
	name = strings.TrimSpace(name)
	if name == "" {
		return jsonReply(400, map[string]string{"error": "name is required"})
	}
	price, _ := data["price"].(float64)
	return jsonReply(201, map[string]interface{}{"id": 42, "name": name, "price": price, "created": true})
}
