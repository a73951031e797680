#ifndef APUS_CLIBUV_SHIM_H
#define APUS_CLIBUV_SHIM_H

#include <uv.h>
#include <errno.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>

/* Swift cannot size these C unions itself without a type; one place says how big a handle is. */
static inline size_t apus_uv_tcp_size(void) { return sizeof(uv_tcp_t); }

/* Ask the kernel to send SIGTERM when the parent process exits. */
static inline int apus_die_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGTERM); }

/* A TCP port on `ip` that nothing is bound to right now, or -1. */
static inline int apus_free_port(const char *ip) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0 };
    if (inet_pton(AF_INET, ip, &address.sin_addr) != 1) address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) == 0 &&
        getsockname(fd, (struct sockaddr *)&address, &length) == 0)
        port = ntohs(address.sin_port);
    close(fd);
    return port;
}

/* A bound, listening TCP socket (SO_REUSEADDR, close-on-exec) for worker processes to inherit;
   the descriptor, or -errno. */
static inline int apus_listen_socket(const struct sockaddr *address, int backlog) {
    int fd = socket(address->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    socklen_t length = address->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, address, length) != 0 || listen(fd, backlog) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

#endif
