<?php
// POST /php-examples/echo: the JSON body back, with 201.
function handler(array $event): array {
    return ['status' => 201, 'headers' => ['x-runtime' => 'php'], 'body' => json_decode($event['body'] ?? 'null', true)];
}
