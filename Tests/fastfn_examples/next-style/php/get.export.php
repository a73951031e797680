<?php
// Modelled on next-style/php/get.export.php: GET /php/export, mod_php style: no handler, the
// file prints its body and sets its status and headers in $FASTFN_STATUS / $FASTFN_HEADERS.
require_once __DIR__ . '/_shared.php';

$FASTFN_HEADERS = [
    'Content-Type' => 'text/csv; charset=utf-8',
    'Content-Disposition' => 'attachment; filename="php-export.csv"',
    'Cache-Control' => 'no-store',
];
$FASTFN_STATUS = 200;

echo demo_csv();
