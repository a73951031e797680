// GET /go-examples/hello
package main

func handler(event map[string]interface{}) interface{} {
	query, _ := event["query"].(map[string]interface{})
	name, ok := query["name"].(string)
	if !ok {
		name = "world"
	}
	return map[string]interface{}{"hello": name, "runtime": "go"}
}
