<?php
// Modelled on polyglot-tutorial/step-3 (PHP): GET /polyglot-tutorial/step-3?name=<name>

function handler(array $event): array
{
    $name = $event['query']['name'] ?? 'friend';
    $score = strlen((string) $name) * 10;
    return [
        'status' => 200,
        'headers' => ['Content-Type' => 'application/json'],
        'body' => json_encode(['step' => 3, 'runtime' => 'php', 'name' => $name, 'score' => $score,
                               'message' => "PHP scored {$name} with {$score}"]),
    ];
}
