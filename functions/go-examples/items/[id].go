// GET /go-examples/items/{id}: route parameters in event["params"].
package main

func handler(event map[string]interface{}) interface{} {
	params, _ := event["params"].(map[string]interface{})
	return map[string]interface{}{"id": params["id"], "runtime": "go"}
}
