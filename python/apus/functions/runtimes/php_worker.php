<?php
// A PHP worker of the Apus functions server: loads one function file, then answers request
// frames (4-byte big-endian length + JSON) from descriptor 3 with reply frames on descriptor 4,
// one at a time. What a handler prints is its response body, as FastFN has it; a file with no
// handler function is run whole for each request, and its output is the body.
declare(strict_types=1);

[$self, $file, $handlerName] = $argv;
$requests = fopen('php://fd/3', 'rb');
$replies = fopen('php://fd/4', 'wb');

function apus_send($replies, array $message): void {
    $payload = json_encode($message, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
    fwrite($replies, pack('N', strlen($payload)) . $payload);
    fflush($replies);
}

function apus_read_exactly($stream, int $length): ?string {
    $data = '';
    while (strlen($data) < $length) {
        $chunk = fread($stream, $length - strlen($data));
        if ($chunk === false || $chunk === '') return null;
        $data .= $chunk;
    }
    return $data;
}

function apus_is_html(string $text): bool {
    $head = strtolower(substr(ltrim($text), 0, 64));
    return str_starts_with($head, '<!doctype html') || str_starts_with($head, '<html')
        || str_contains($text, '<body') || str_contains($text, '</html>');
}

function apus_text(string $text, array $headers = []): array {
    if (str_contains($text, "\0") || preg_match('//u', $text) !== 1) {
        return ['status' => 200, 'headers' => $headers + ['content-type' => 'application/octet-stream'],
                'body' => base64_encode($text), 'is_base64' => true];
    }
    $type = apus_is_html($text) ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
    return ['status' => 200, 'headers' => $headers + ['content-type' => $type], 'body' => $text];
}

const APUS_ENVELOPE = ['status', 'statusCode', 'headers', 'body', 'is_base64', 'isBase64Encoded', 'body_base64'];

// What a handler returned (and printed), as FastFN's PHP runtime answers it.
function apus_normalize($result, string $printed): array {
    $status = $GLOBALS['FASTFN_STATUS'] ?? (http_response_code() ?: 200);
    $headers = array_change_key_case($GLOBALS['FASTFN_HEADERS'] ?? [], CASE_LOWER);
    if ($result === null || $result === '') {
        $reply = apus_text($printed, $headers);
        $reply['status'] = $status;
        return $reply;
    }
    if (is_string($result)) {
        $reply = apus_text($printed . $result, $headers);
        $reply['status'] = $status;
        return $reply;
    }
    if (is_object($result)) $result = json_decode(json_encode($result), true);
    if (!is_array($result) || !array_intersect(array_keys($result), APUS_ENVELOPE)) {
        return ['status' => $status, 'headers' => $headers + ['content-type' => 'application/json'],
                'body' => json_encode($result, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)];
    }
    $status = $result['status'] ?? $result['statusCode'] ?? $status;
    foreach ($result['headers'] ?? [] as $name => $value) $headers[strtolower((string)$name)] = $value;
    if (!empty($result['is_base64']) && isset($result['body_base64'])) {
        return ['status' => $status, 'headers' => $headers, 'body' => $result['body_base64'], 'is_base64' => true];
    }
    $body = $result['body'] ?? '';
    if (!empty($result['isBase64Encoded']) && is_string($body)) {
        return ['status' => $status, 'headers' => $headers, 'body' => $body, 'is_base64' => true];
    }
    if ($body === '' || $body === null) $body = $printed;
    if (!is_string($body)) {
        $headers += ['content-type' => 'application/json'];
        $body = json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }
    return ['status' => $status, 'headers' => $headers, 'body' => $body];
}

// A file that defines its handler is loaded once; one that does not is the handler itself,
// run whole for each request (so it is not run here, where there is no event yet).
function apus_defines(string $file, string $name): bool {
    $tokens = token_get_all(file_get_contents($file));
    foreach ($tokens as $index => $token) {
        if (is_array($token) && $token[0] === T_FUNCTION) {
            for ($next = $index + 1; isset($tokens[$next]); $next++) {
                if (is_array($tokens[$next]) && $tokens[$next][0] === T_WHITESPACE) continue;
                if (is_array($tokens[$next]) && $tokens[$next][0] === T_STRING && strcasecmp($tokens[$next][1], $name) === 0) return true;
                break;
            }
        }
    }
    return false;
}

$handler = null;
try {
    if (apus_defines($file, $handlerName)) {
        $before = get_defined_functions()['user'];
        ob_start();
        require $file;
        ob_end_clean();
        foreach (array_reverse(array_diff(get_defined_functions()['user'], $before)) as $name) {
            $base = substr($name, (int)strrpos('\\' . $name, '\\'));
            if (strcasecmp($base, $handlerName) === 0) { $handler = $name; break; }
        }
        if ($handler === null) throw new RuntimeException("$file defines no function $handlerName()");
    }
} catch (Throwable $error) {
    if (ob_get_level() > 0) ob_end_clean();
    apus_send($replies, ['ready' => false, 'error' => (string)$error]);
    exit(1);
}
$takesParams = $handler !== null && (new ReflectionFunction($handler))->getNumberOfParameters() > 1;
apus_send($replies, ['ready' => true]);

while (($header = apus_read_exactly($requests, 4)) !== null) {
    $length = unpack('N', $header)[1];
    $frame = apus_read_exactly($requests, $length);
    if ($frame === null) break;
    $request = json_decode($frame, true);
    $id = $request['id'];
    $event = $request['event'];
    $GLOBALS['FASTFN_STATUS'] = null;
    $GLOBALS['FASTFN_HEADERS'] = [];
    http_response_code(200);
    ob_start();
    try {
        if ($handler === null) {
            // The file runs in a scope of its own; the status and headers it sets there
            // ($FASTFN_STATUS, $FASTFN_HEADERS, as FastFN's raw-output files do) are its answer's.
            [$result, $status, $headers] = (function () use ($file, $event) {
                $result = include $file;
                return [$result, $FASTFN_STATUS ?? null, $FASTFN_HEADERS ?? null];
            })();
            if ($status !== null) $GLOBALS['FASTFN_STATUS'] = $status;
            if (is_array($headers)) $GLOBALS['FASTFN_HEADERS'] = $headers;
            if ($result === 1) $result = null;  // include's own "it ran"
        } else {
            $result = $takesParams ? $handler($event, $event['params'] ?? []) : $handler($event);
        }
        $printed = ob_get_clean();
        apus_send($replies, ['id' => $id] + apus_normalize($result, $printed));
    } catch (Throwable $error) {
        ob_end_clean();
        apus_send($replies, ['id' => $id, 'error' => (string)$error]);
    }
}
