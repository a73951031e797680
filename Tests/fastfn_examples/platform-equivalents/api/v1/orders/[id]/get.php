<?php
// Modelled on platform-equivalents/api/v1/orders/[id]/get.php: GET /api/v1/orders/:id

function handler($event, $params = [])
{
    $id = (int) ($params['id'] ?? 0);
    $file = dirname(__DIR__) . '/.state/orders.json';
    $orders = is_file($file) ? (json_decode(file_get_contents($file), true) ?? []) : [];
    foreach ($orders as $order) {
        if (($order['id'] ?? 0) === $id) {
            return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
                    'body' => json_encode(['ok' => true, 'order' => $order])];
        }
    }
    return ['status' => 404, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['error' => 'Order not found'])];
}
