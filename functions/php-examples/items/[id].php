<?php
// GET /php-examples/items/{id}: route parameters as the second argument.
function handler(array $event, array $params): array {
    return ['id' => $params['id'], 'runtime' => 'php'];
}
