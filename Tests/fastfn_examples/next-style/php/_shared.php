<?php
// Private helper (not a route) for the PHP routes of this folder.

function demo_json(array $payload): array
{
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode($payload, JSON_UNESCAPED_SLASHES)];
}

function demo_profile(array $event): array
{
    $params = $event['params'] ?? [];
    return ['route' => 'GET /php/profile/:id', 'runtime' => 'php', 'helper' => 'php/_shared.php',
            'params' => $params, 'id' => $params['id'] ?? null];
}

function demo_csv(): string
{
    $rows = [['10', 'php-mod-style'], ['11', 'raw-output']];
    $lines = ['id,source'];
    foreach ($rows as $row) {
        $lines[] = implode(',', $row);
    }
    return implode("\n", $lines) . "\n";
}
