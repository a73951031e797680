// OpenSSL: libcrypto's SHA-1 and base64 for the WebSocket handshake (RFC 6455 §4.2.2), and
// libssl's TLS for --ssl-certfile (ApusHTTP/TLS), driven through memory BIOs by the event loop.
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

/* Macros Swift cannot import, as functions. */
static inline int apus_ssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}
static inline void apus_ssl_ctx_cache_sessions(SSL_CTX *ctx) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
}
static inline size_t apus_bio_pending(BIO *bio) { return BIO_ctrl_pending(bio); }

/* ALPN: HTTP/1.1 when the client offers it (RFC 7301); a client offering only other protocols
   (h2 alone) gets no protocol, and the connection goes on as HTTP/1.1. */
static inline int apus_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                            const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char supported[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    if (SSL_select_next_proto((unsigned char **)out, outlen, supported, sizeof supported, in, inlen)
        == OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_OK;
    return SSL_TLSEXT_ERR_NOACK;
}
static inline void apus_ssl_ctx_alpn_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, apus_alpn_select, NULL);
}

/* The private key's password (--ssl-keyfile-password), read while the key file loads. */
static inline int apus_password(char *buffer, int size, int rwflag, void *userdata) {
    (void)rwflag;
    const char *password = userdata;
    int length = (int)strlen(password);
    if (length > size) return 0;
    memcpy(buffer, password, (size_t)length);
    return length;
}
static inline void apus_ssl_ctx_password(SSL_CTX *ctx, const char *password) {
    SSL_CTX_set_default_passwd_cb(ctx, apus_password);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)password);
}

/* The oldest error OpenSSL queued, as text (then the queue is cleared). */
static inline void apus_ssl_error(char *buffer, size_t size) {
    unsigned long code = ERR_get_error();
    if (code == 0) snprintf(buffer, size, "unknown error");
    else ERR_error_string_n(code, buffer, size);
    ERR_clear_error();
}
