// GET /go-examples/files/{path:path}: a catch-all.
package main

func handler(event map[string]interface{}) interface{} {
	params, _ := event["params"].(map[string]interface{})
	return map[string]interface{}{"path": params["path"], "runtime": "go"}
}
