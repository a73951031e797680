// POST /go-examples/echo: the JSON body back, with 201.
package main

import "encoding/json"

func handler(event map[string]interface{}) interface{} {
	var body interface{}
	if text, ok := event["body"].(string); ok {
		json.Unmarshal([]byte(text), &body)
	}
	return map[string]interface{}{"status": 201, "headers": map[string]interface{}{"x-runtime": "go"}, "body": body}
}
