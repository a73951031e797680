<?php
// GET /php-examples/hello
function handler(array $event): array {
    return ['hello' => $event['query']['name'] ?? 'world', 'runtime' => 'php'];
}
