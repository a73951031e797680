package main

// Modelled on rest-api-methods/products/[id]/delete.go: DELETE /products/:id

import (
	"encoding/json"
	"strconv"
)

func handler(event map[string]interface{}) interface{} {
	text, _ := event["id"].(string)
	id, _ := strconv.Atoi(text)
	body, _ := json.Marshal(map[string]interface{}{"id": id, "deleted": true})
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}
