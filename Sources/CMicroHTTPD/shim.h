// GNU libmicrohttpd, the embeddable HTTP server (Debian: libmicrohttpd-dev), driven by the
// agent's reactor: no thread of its own (no MHD_USE_INTERNAL_POLLING_THREAD), its epoll
// descriptor polled by the reactor and MHD_run called when it is readable or its timeout is
// due. The wrappers exist because MHD_start_daemon, MHD_get_daemon_info and
// MHD_get_connection_info are variadic, which Swift cannot call.
#ifndef PRINTER_AGENT_CMICROHTTPD_SHIM_H
#define PRINTER_AGENT_CMICROHTTPD_SHIM_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <microhttpd.h>

/// The limits a daemon is started with.
struct agent_mhd_limits {
    /// Connections open at once, over all clients.
    unsigned int connections;
    /// Connections open at once from one address.
    unsigned int connections_per_address;
    /// Seconds a connection may stay without traffic before it is closed.
    unsigned int idle_timeout_seconds;
    /// Bytes of memory per connection (the request line, headers and read buffer).
    size_t connection_memory;
};

/// Starts a daemon on the IPv4 `address` (network order) and `port`, with epoll and no
/// thread of its own; NULL when it cannot (the port is taken, the address is not this host's).
static inline struct MHD_Daemon *agent_mhd_start(uint32_t address, uint16_t port, struct agent_mhd_limits limits,
                                                 MHD_AccessHandlerCallback handler, void *handler_context,
                                                 MHD_RequestCompletedCallback completed, void *completed_context) {
    struct sockaddr_in bind_address;
    memset(&bind_address, 0, sizeof bind_address);
    bind_address.sin_family = AF_INET;
    bind_address.sin_port = htons(port);
    bind_address.sin_addr.s_addr = address;
    return MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_SUPPRESS_DATE_NO_CLOCK, port, NULL, NULL, handler, handler_context,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&bind_address,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                            MHD_OPTION_CONNECTION_LIMIT, limits.connections,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits.connections_per_address,
                            MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_timeout_seconds,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits.connection_memory,
                            MHD_OPTION_END);
}

/// The daemon's epoll descriptor, readable when MHD_run has work; -1 without one.
static inline int agent_mhd_epoll_fd(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

/// The port the daemon listens on (the one asked for, or the kernel's choice for 0).
static inline uint16_t agent_mhd_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

/// Writes the IPv4 address of the connection's `local` end (this host's address on the
/// interface the request came in on) or of its peer, dotted, into `buffer`; 0 on success.
static inline int agent_mhd_address(struct MHD_Connection *connection, int local, char *buffer, size_t size) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info == NULL) return -1;
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    int rc = local ? getsockname(info->connect_fd, (struct sockaddr *)&address, &length)
                   : getpeername(info->connect_fd, (struct sockaddr *)&address, &length);
    if (rc != 0) return -1;
    if (address.ss_family == AF_INET) {
        return inet_ntop(AF_INET, &((struct sockaddr_in *)&address)->sin_addr, buffer, size) ? 0 : -1;
    }
    if (address.ss_family == AF_INET6) {
        return inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&address)->sin6_addr, buffer, size) ? 0 : -1;
    }
    return -1;
}

/// MHD_get_timeout in milliseconds, as a signed number: -1 when the daemon needs no call back.
static inline int64_t agent_mhd_timeout(struct MHD_Daemon *daemon) {
    MHD_UNSIGNED_LONG_LONG timeout = 0;
    if (MHD_get_timeout(daemon, &timeout) != MHD_YES) return -1;
    return timeout > INT64_MAX ? INT64_MAX : (int64_t)timeout;
}

#endif
