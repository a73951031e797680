package main

// Modelled on rest-api-methods/posts/[slug]/get.go: GET /posts/:slug, read from event["params"].

import "encoding/json"

func handler(event map[string]interface{}) interface{} {
	params, _ := event["params"].(map[string]interface{})
	slug, _ := params["slug"].(string)
	body, _ := json.Marshal(map[string]interface{}{"slug": slug, "title": "Post: " + slug, "content": "Lorem ipsum..."})
	return map[string]interface{}{"status": 200, "headers": map[string]string{"Content-Type": "application/json"}, "body": string(body)}
}
