<?php
// Modelled on rest-api-methods/products/[id]/delete.php: DELETE /products/:id
function handler($event, $params)
{
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['id' => (int) ($params['id'] ?? 0), 'deleted' => true])];
}
