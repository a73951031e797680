<?php
// GET /php-examples/files/{path:path}: a file without a handler function prints its answer.
echo "path " . $event['params']['path'] . " from php";
