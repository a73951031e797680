<?php
// Modelled on next-style/php/get.profile.[id].php: GET /php/profile/:id
require_once __DIR__ . '/_shared.php';

function handler(array $event): array
{
    return demo_json(demo_profile($event));
}
