#ifndef APUS_CLIBUV_SHIM_H
#define APUS_CLIBUV_SHIM_H

#include <uv.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>

/* Swift cannot size these C unions itself without a type; one place says how big a handle is. */
static inline size_t apus_uv_tcp_size(void) { return sizeof(uv_tcp_t); }

#endif
