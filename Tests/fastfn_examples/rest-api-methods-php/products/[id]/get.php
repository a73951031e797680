<?php
// Modelled on rest-api-methods/products/[id]/get.php: GET /products/:id, params as 2nd argument
function handler($event, $params)
{
    $id = (int) ($params['id'] ?? 0);
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['id' => $id, 'name' => 'Widget', 'price' => 9.99])];
}
