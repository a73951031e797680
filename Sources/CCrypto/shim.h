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

/* ALPN (RFC 7301): h2 first when the server speaks HTTP/2 (a non-NULL arg), then HTTP/1.1, in
   the server's order of preference; a client offering none of them gets no protocol, and the
   connection goes on as HTTP/1.1. */
static inline int apus_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                            const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl;
    static const unsigned char both[] = { 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    static const unsigned char http11[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    const unsigned char *supported = arg ? both : http11;
    unsigned int length = arg ? sizeof both : sizeof http11;
    if (SSL_select_next_proto((unsigned char **)out, outlen, supported, length, in, inlen)
        == OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_OK;
    return SSL_TLSEXT_ERR_NOACK;
}
static inline void apus_ssl_ctx_alpn(SSL_CTX *ctx, int offer_h2) {
    SSL_CTX_set_alpn_select_cb(ctx, apus_alpn_select, offer_h2 ? (void *)1 : NULL);
}
/* Whether ALPN chose h2 on this connection. */
static inline int apus_ssl_alpn_is_h2(SSL *ssl) {
    const unsigned char *protocol = NULL;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl, &protocol, &length);
    return length == 2 && protocol[0] == 'h' && protocol[1] == '2';
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

/* What the ASGI `tls` extension tells the app about a connection, once its handshake is done. */
#include <openssl/x509.h>
#include <openssl/pem.h>

static inline int apus_ssl_handshake_done(SSL *ssl) { return SSL_is_init_finished(ssl); }
static inline int apus_ssl_cipher_suite(SSL *ssl) {
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    return cipher ? (int)SSL_CIPHER_get_protocol_id(cipher) : 0;
}
/* The name the client asked for (SNI), or NULL. */
static inline const char *apus_ssl_server_name(SSL *ssl) {
    return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
}
/* A memory BIO's contents as a malloc'd C string (the BIO is freed), or NULL. */
static inline char *apus_bio_string(BIO *bio) {
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    char *copy = length >= 0 ? malloc((size_t)length + 1) : NULL;
    if (copy) { memcpy(copy, data, (size_t)length); copy[length] = 0; }
    BIO_free(bio);
    return copy;
}
/* The client's certificate then the rest of the chain it sent, as concatenated PEM (malloc'd),
   or NULL without a client certificate. */
static inline char *apus_ssl_peer_chain_pem(SSL *ssl) {
    X509 *leaf = SSL_get1_peer_certificate(ssl);
    if (!leaf) return NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) { X509_free(leaf); return NULL; }
    PEM_write_bio_X509(bio, leaf);
    /* The chain as sent, without the client's own certificate should it hold it again. */
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    for (int i = 0; chain && i < sk_X509_num(chain); i++) {
        X509 *certificate = sk_X509_value(chain, i);
        if (X509_cmp(certificate, leaf) != 0) PEM_write_bio_X509(bio, certificate);
    }
    X509_free(leaf);
    return apus_bio_string(bio);
}
/* The client certificate's subject as an RFC 4514 string (malloc'd), or NULL. */
static inline char *apus_ssl_peer_name(SSL *ssl) {
    X509 *leaf = SSL_get1_peer_certificate(ssl);
    if (!leaf) return NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio) X509_NAME_print_ex(bio, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253);
    X509_free(leaf);
    return bio ? apus_bio_string(bio) : NULL;
}
/* Why the client certificate did not verify, or NULL (verified, or none sent). */
static inline const char *apus_ssl_verify_error(SSL *ssl) {
    X509 *leaf = SSL_get1_peer_certificate(ssl);
    if (!leaf) return NULL;
    X509_free(leaf);
    long result = SSL_get_verify_result(ssl);
    return result == X509_V_OK ? NULL : X509_verify_cert_error_string(result);
}
