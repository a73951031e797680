<?php
// Folder home alias: /profile runs GET /profile/me.
function handler($event)
{
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['page' => 'me', 'runtime' => 'php'])];
}
