<?php
// Modelled on examples/functions/php/php-profile: GET /php-profile?name=X, prefixed by
// fn.env.json's PHP_GREETING.

function handler(array $event): array
{
    $name = $event['query']['name'] ?? 'world';
    $prefix = $event['env']['PHP_GREETING'] ?? 'php';
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['runtime' => 'php', 'function' => 'php-profile', 'hello' => $prefix . '-' . $name])];
}
