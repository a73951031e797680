<?php
// Modelled on examples/functions/php/session-demo: event.session from the Cookie header.

function handler($event)
{
    $session = $event['session'] ?? [];
    $cookies = $session['cookies'] ?? [];
    error_log('[session-demo] session_id = ' . ($session['id'] ?? 'null'));
    if (empty($session['id'])) {
        return ['status' => 401, 'headers' => ['Content-Type' => 'application/json'],
                'body' => json_encode(['error' => 'No session cookie found', 'hint' => 'Send Cookie: session_id=your-token'])];
    }
    return ['status' => 200, 'headers' => ['Content-Type' => 'application/json'],
            'body' => json_encode(['authenticated' => true, 'session_id' => $session['id'],
                                   'theme' => $cookies['theme'] ?? 'light', 'all_cookies' => $cookies])];
}
