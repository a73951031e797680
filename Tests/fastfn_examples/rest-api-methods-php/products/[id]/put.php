<?php
// Modelled on rest-api-methods/products/[id]/put.php: PUT /products/:id
function handler($event, $params)
{
    $data = json_decode($event['body'] ?? '', true);
    if (!is_array($data)) {
        return ['status' => 400, 'body' => json_encode(['error' => 'Invalid JSON'])];
    }
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(array_merge(['id' => (int) ($params['id'] ?? 0)], $data, ['updated' => true]))];
}
