<?php
// Modelled on rest-api-methods/posts/[category]/[slug]/get.php: GET /posts/:category/:slug
function handler($event, $params)
{
    $category = $params['category'] ?? '';
    $slug = $params['slug'] ?? '';
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['category' => $category, 'slug' => $slug, 'title' => "$category/$slug",
                                   'url' => "/posts/$category/$slug"], JSON_UNESCAPED_SLASHES)];
}
