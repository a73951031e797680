package main

// Modelled on rest-api-methods/products/[id]/get.go: GET /products/:id; the parameter is merged
// into the event as a top-level key.

import (
	"encoding/json"
	"strconv"
)

func handler(event map[string]interface{}) interface{} {
	text, _ := event["id"].(string)
	id, _ := strconv.Atoi(text)
	body, _ := json.Marshal(map[string]interface{}{"id": id, "name": "Widget", "price": 9.99})
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}
