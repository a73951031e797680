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
#include <malloc.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

/* Swift cannot size these C unions itself without a type; one place says how big a handle is. */
static inline size_t apus_uv_tcp_size(void) { return sizeof(uv_tcp_t); }

/* Give the pages of freed heap memory back to the system (glibc). */
static inline void apus_release_freed_memory(void) { malloc_trim(0); }

/* The CPUs this process may run on (its affinity mask), at least 1. */
static inline int apus_available_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int count = CPU_COUNT(&set);
    return count > 0 ? count : 1;
}

/* Ask the kernel to send SIGTERM when the parent process exits. */
static inline int apus_die_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGTERM); }

/* The port a socket is bound to, or -1. */
static inline int apus_socket_port(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) return -1;
    if (address.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return ntohs(((struct sockaddr_in *)&address)->sin_port);
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

/* The address family of a socket (AF_INET, AF_INET6, AF_UNIX), or -errno. */
static inline int apus_socket_family(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) return -errno;
    return address.ss_family;
}

/* A listening Unix-domain socket at `path` (close-on-exec), readable and writable by everyone
   as uvicorn's --uds makes it (a proxy running as another user connects to it): a socket left
   at the path by an earlier run is replaced, any other file is refused. The descriptor, or -errno. */
static inline int apus_listen_unix(const char *path, int backlog) {
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof address.sun_path) return -ENAMETOOLONG;
    strcpy(address.sun_path, path);
    struct stat existing;
    if (lstat(path, &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode)) return -EEXIST;
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || chmod(path, 0666) != 0 ||
        listen(fd, backlog) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

/* A blocking connection to the Unix socket at `path`, whose reads and writes give up after
   `seconds`; or -errno. */
static inline int apus_connect_unix(const char *path, int seconds) {
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof address.sun_path) return -ENAMETOOLONG;
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct timeval timeout = { .tv_sec = seconds };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

#endif
