// OpenSSL's libcrypto: SHA-1 and base64 for the WebSocket handshake (RFC 6455 §4.2.2).
#include <openssl/sha.h>
#include <openssl/evp.h>
