<?php
// Modelled on rest-api-methods/files/[...path]/get.php: GET /files/* (catch-all)
function handler($event, $params)
{
    $path = $params['path'] ?? '';
    $segments = $path !== '' ? explode('/', $path) : [];
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['path' => $path, 'segments' => $segments, 'depth' => count($segments)],
                                  JSON_UNESCAPED_SLASHES)];
}
