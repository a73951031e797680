<?php
// Modelled on rest-api-methods/products/post.php: POST /products
function handler($event)
{
    $raw = $event['body'] ?? '';
    $data = is_string($raw) && $raw !== '' ? json_decode($raw, true) : [];
    if (!is_array($data)) {
        return ['status' => 400, 'body' => json_encode(['error' => 'Invalid JSON'])];
    }
    $name = trim((string) ($data['name'] ?? ''));
    if ($name === '') {
        return ['status' => 400, 'body' => json_encode(['error' => 'name is required'])];
    }
    return ['status' => 201, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['id' => 42, 'name' => $name, 'price' => $data['price'] ?? 0, 'created' => true])];
}
