// The libc headers the agent uses, imported through the project's own module map
// (there is no Glibc module in Embedded Swift), plus static inline helpers for what
// Swift cannot reach directly: errno and a few macros.
#ifndef PRINTER_AGENT_CLIBC_SHIM_H
#define PRINTER_AGENT_CLIBC_SHIM_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/// The calling thread's errno (a macro in C, so not importable as a variable).
static inline int agent_errno(void) { return errno; }

/// Sets errno, for tests of the retry wrapper.
static inline void agent_set_errno(int value) { errno = value; }

/// Blocks `sig` in the process's signal mask so that a signalfd can receive it.
static inline int agent_block_signal(int sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    return sigprocmask(SIG_BLOCK, &set, NULL);
}

/// Ignores `sig` (SIG_IGN is a cast macro Swift cannot import).
static inline void agent_ignore_signal(int sig) { signal(sig, SIG_IGN); }

/// Opens a signalfd (non-blocking, close-on-exec) for the signals given.
static inline int agent_signalfd(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/// Milliseconds of the given clock (CLOCK_MONOTONIC or CLOCK_REALTIME).
static inline long long agent_clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/// open(2) without its variadic mode argument (Swift cannot call variadic C functions).
static inline int agent_open(const char *path, int flags) { return open(path, flags); }

/// Makes `fd` non-blocking; returns -1 on failure with errno set.
static inline int agent_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/// Sends `len` bytes as one datagram to the AF_UNIX socket at `path` (a leading '@'
/// names an abstract socket, as systemd's NOTIFY_SOCKET does). Returns 0 or -1 with errno.
static inline int agent_send_unix_datagram(const char *path, const void *bytes, size_t len) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    size_t plen = strlen(path);
    if (plen == 0 || plen >= sizeof addr.sun_path) { errno = EINVAL; return -1; }
    memcpy(addr.sun_path, path, plen);
    if (path[0] == '@') addr.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
    ssize_t sent = sendto(fd, bytes, len, MSG_NOSIGNAL, (struct sockaddr *)&addr, alen);
    int saved = errno;
    close(fd);
    errno = saved;
    return sent == (ssize_t)len ? 0 : -1;
}

/// Writes the first non-loopback IPv4 address of an interface that is up into `out`
/// (at least INET_ADDRSTRLEN bytes). Returns 0, or -1 when there is none.
static inline int agent_primary_ipv4(char *out, size_t outlen) {
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0) return -1;
    int found = -1;
    for (struct ifaddrs *it = list; it != NULL; it = it->ifa_next) {
        if (it->ifa_addr == NULL || it->ifa_addr->sa_family != AF_INET) continue;
        if ((it->ifa_flags & IFF_UP) == 0 || (it->ifa_flags & IFF_LOOPBACK) != 0) continue;
        struct sockaddr_in *sin = (struct sockaddr_in *)it->ifa_addr;
        if (inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)outlen) != NULL) { found = 0; break; }
    }
    freeifaddrs(list);
    return found;
}

#endif
