<?php
// Modelled on rest-api-methods/posts/[slug]/get.php: GET /posts/:slug
function handler($event, $params)
{
    $slug = $params['slug'] ?? '';
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['slug' => $slug, 'title' => "Post: $slug", 'content' => 'Lorem ipsum...'])];
}
