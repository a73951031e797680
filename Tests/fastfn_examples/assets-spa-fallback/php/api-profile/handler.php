<?php
// Modelled on assets-spa-fallback/php/api-profile: GET /api-profile, beside the SPA shell.

function handler($event)
{
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['runtime' => 'php', 'title' => 'PHP profile endpoint', 'path' => '/api-profile'])];
}
