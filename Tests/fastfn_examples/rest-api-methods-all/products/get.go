package main

// Modelled on rest-api-methods run without FN_RUNTIMES: products/get.* exists in every runtime.
func handler(event map[string]interface{}) interface{} {
	return map[string]interface{}{"status": 200, "body": `{"runtime":"go"}`}
}
