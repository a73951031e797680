<?php
// Modelled on FastFN's polyglot-demo fixture: "GET /items/:id" mapped to a PHP file.
function handler($event, $params)
{
    return ['status' => 200, 'body' => json_encode(['id' => $params['id'] ?? null, 'runtime' => 'php'])];
}
