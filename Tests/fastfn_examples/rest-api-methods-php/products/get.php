<?php
// Modelled on rest-api-methods/products/get.php: GET /products
function handler($event)
{
    $products = [['id' => 1, 'name' => 'Widget', 'price' => 9.99], ['id' => 2, 'name' => 'Gadget', 'price' => 24.99]];
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['products' => $products, 'total' => count($products)])];
}
