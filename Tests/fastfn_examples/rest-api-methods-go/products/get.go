package main

// Modelled on rest-api-methods/products/get.go: GET /products, using the folder's _shared.go.
func handler(event map[string]interface{}) interface{} {
	items := catalog()
	return jsonReply(200, map[string]interface{}{"products": items, "total": len(items)})
}
