// GNU libmicrohttpd, the embeddable HTTP server (Debian: libmicrohttpd-dev), loaded on first
// use and driven by the agent's reactor.
//
// The agent does not link libmicrohttpd: it opens libmicrohttpd.so.12 with dlopen when LAN
// mode starts its server, as it does libcurl (Sources/CCurl/shim.h). Debian's libmicrohttpd
// loads GnuTLS and its libraries; a printer with LAN mode off never pays for them. The
// functions used are looked up once; each wrapper below calls through that table and answers
// an error (or NULL) when the library cannot be loaded. MHD_start_daemon, MHD_get_daemon_info
// and MHD_get_connection_info are variadic, which Swift cannot call: the wrappers make those
// calls with fixed arguments.
//
// The daemon has no thread of its own (no MHD_USE_INTERNAL_POLLING_THREAD): it runs in epoll
// mode, the reactor polls its epoll descriptor and calls MHD_run when it is readable or when
// the daemon's timeout is due.
#ifndef PRINTER_AGENT_CMICROHTTPD_SHIM_H
#define PRINTER_AGENT_CMICROHTTPD_SHIM_H
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <microhttpd.h>

/// The libmicrohttpd functions the agent calls.
struct agent_mhd_functions {
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *daemon);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType type, ...);
    enum MHD_Result (*run)(struct MHD_Daemon *daemon);
    enum MHD_Result (*get_timeout)(struct MHD_Daemon *daemon, MHD_UNSIGNED_LONG_LONG *timeout);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *connection,
                                                           enum MHD_ConnectionInfoType type, ...);
    const char *(*lookup_connection_value)(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header, const char *content);
    enum MHD_Result (*queue_response)(struct MHD_Connection *connection, unsigned int status_code,
                                      struct MHD_Response *response);
    void (*destroy_response)(struct MHD_Response *response);
    struct MHD_PostProcessor *(*create_post_processor)(struct MHD_Connection *connection, size_t buffer_size,
                                                       MHD_PostDataIterator iter, void *iter_cls);
    enum MHD_Result (*post_process)(struct MHD_PostProcessor *pp, const char *post_data, size_t post_data_len);
    enum MHD_Result (*destroy_post_processor)(struct MHD_PostProcessor *pp);
};

/// libmicrohttpd's functions, loaded on the first call (NULL when libmicrohttpd.so.12 cannot
/// be loaded or lacks one of them; `agent_mhd_load_error` says why).
static inline const struct agent_mhd_functions *agent_mhd(void) {
    static struct agent_mhd_functions table;
    static int state; // 0 not tried, 1 loaded, -1 failed
    if (state == 0) {
        void *library = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
        state = -1;
        if (library == NULL) return NULL;
#define AGENT_MHD_LOOKUP(field, symbol) \
        if ((*(void **)&table.field = dlsym(library, symbol)) == NULL) return NULL;
        AGENT_MHD_LOOKUP(start_daemon, "MHD_start_daemon")
        AGENT_MHD_LOOKUP(stop_daemon, "MHD_stop_daemon")
        AGENT_MHD_LOOKUP(get_daemon_info, "MHD_get_daemon_info")
        AGENT_MHD_LOOKUP(run, "MHD_run")
        AGENT_MHD_LOOKUP(get_timeout, "MHD_get_timeout")
        AGENT_MHD_LOOKUP(get_connection_info, "MHD_get_connection_info")
        AGENT_MHD_LOOKUP(lookup_connection_value, "MHD_lookup_connection_value")
        AGENT_MHD_LOOKUP(create_response_from_buffer, "MHD_create_response_from_buffer")
        AGENT_MHD_LOOKUP(add_response_header, "MHD_add_response_header")
        AGENT_MHD_LOOKUP(queue_response, "MHD_queue_response")
        AGENT_MHD_LOOKUP(destroy_response, "MHD_destroy_response")
        AGENT_MHD_LOOKUP(create_post_processor, "MHD_create_post_processor")
        AGENT_MHD_LOOKUP(post_process, "MHD_post_process")
        AGENT_MHD_LOOKUP(destroy_post_processor, "MHD_destroy_post_processor")
#undef AGENT_MHD_LOOKUP
        state = 1;
    }
    return state == 1 ? &table : NULL;
}

/// Why libmicrohttpd could not be loaded (dlerror's text), or NULL.
static inline const char *agent_mhd_load_error(void) { return dlerror(); }

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
    /// Bytes the read buffer grows by when it is full (larger: fewer, larger reads of a body).
    size_t read_increment;
};

/// Starts a daemon on the IPv4 `address` (network order) and `port`, with epoll and no
/// thread of its own; NULL when it cannot (no library, the port is taken, the address is not
/// this host's).
static inline struct MHD_Daemon *agent_mhd_start(uint32_t address, uint16_t port, struct agent_mhd_limits limits,
                                                 MHD_AccessHandlerCallback handler, void *handler_context,
                                                 MHD_RequestCompletedCallback completed, void *completed_context) {
    if (agent_mhd() == NULL) return NULL;
    struct sockaddr_in bind_address;
    memset(&bind_address, 0, sizeof bind_address);
    bind_address.sin_family = AF_INET;
    bind_address.sin_port = htons(port);
    bind_address.sin_addr.s_addr = address;
    return agent_mhd()->start_daemon(MHD_USE_EPOLL | MHD_USE_SUPPRESS_DATE_NO_CLOCK, port, NULL, NULL, handler,
                                     handler_context,
                                     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&bind_address,
                                     MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                                     MHD_OPTION_CONNECTION_LIMIT, limits.connections,
                                     MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits.connections_per_address,
                                     MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_timeout_seconds,
                                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits.connection_memory,
                                     MHD_OPTION_CONNECTION_MEMORY_INCREMENT, limits.read_increment,
                                     MHD_OPTION_END);
}

/// MHD_stop_daemon.
static inline void agent_mhd_stop(struct MHD_Daemon *daemon) { if (agent_mhd()) agent_mhd()->stop_daemon(daemon); }

/// MHD_run: does what is ready, without blocking.
static inline void agent_mhd_run(struct MHD_Daemon *daemon) { if (agent_mhd()) (void)agent_mhd()->run(daemon); }

/// The daemon's epoll descriptor, readable when MHD_run has work; -1 without one.
static inline int agent_mhd_epoll_fd(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = agent_mhd() ? agent_mhd()->get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    return info ? info->epoll_fd : -1;
}

/// The port the daemon listens on (the one asked for, or the kernel's choice for 0).
static inline uint16_t agent_mhd_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = agent_mhd() ? agent_mhd()->get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    return info ? info->port : 0;
}

/// MHD_get_timeout in milliseconds, as a signed number: -1 when the daemon needs no call back.
static inline int64_t agent_mhd_timeout(struct MHD_Daemon *daemon) {
    MHD_UNSIGNED_LONG_LONG timeout = 0;
    if (agent_mhd() == NULL || agent_mhd()->get_timeout(daemon, &timeout) != MHD_YES) return -1;
    return timeout > INT64_MAX ? INT64_MAX : (int64_t)timeout;
}

/// Writes the IPv4 address of the connection's `local` end (this host's address on the
/// interface the request came in on) or of its peer, dotted, into `buffer`; 0 on success.
static inline int agent_mhd_address(struct MHD_Connection *connection, int local, char *buffer, size_t size) {
    const union MHD_ConnectionInfo *info =
        agent_mhd() ? agent_mhd()->get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD) : NULL;
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

/// MHD_lookup_connection_value: a header (`header` non-zero) or a query argument, or NULL.
static inline const char *agent_mhd_value(struct MHD_Connection *connection, int header, const char *key) {
    return agent_mhd() ? agent_mhd()->lookup_connection_value(connection, header ? MHD_HEADER_KIND : MHD_GET_ARGUMENT_KIND, key)
                       : NULL;
}

/// Queues a response of `status` with a copy of `body`, the Content-Type `type` and, unless NULL, a `Location`.
static inline enum MHD_Result agent_mhd_respond(struct MHD_Connection *connection, unsigned int status, const char *type,
                                                const void *body, size_t size, const char *location) {
    if (agent_mhd() == NULL) return MHD_NO;
    struct MHD_Response *response = agent_mhd()->create_response_from_buffer(size, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (response == NULL) return MHD_NO;
    (void)agent_mhd()->add_response_header(response, "Content-Type", type);
    if (location != NULL) (void)agent_mhd()->add_response_header(response, "Location", location);
    enum MHD_Result queued = agent_mhd()->queue_response(connection, status, response);
    agent_mhd()->destroy_response(response);
    return queued;
}

/// MHD_create_post_processor, or NULL (the body is not a form, or no library).
static inline struct MHD_PostProcessor *agent_mhd_post_processor(struct MHD_Connection *connection, size_t buffer_size,
                                                                 MHD_PostDataIterator iterator, void *context) {
    return agent_mhd() ? agent_mhd()->create_post_processor(connection, buffer_size, iterator, context) : NULL;
}

/// MHD_post_process.
static inline enum MHD_Result agent_mhd_post_process(struct MHD_PostProcessor *processor, const char *data, size_t size) {
    return agent_mhd() ? agent_mhd()->post_process(processor, data, size) : MHD_NO;
}

/// MHD_destroy_post_processor: MHD_NO when the body ended inside a part (malformed).
static inline enum MHD_Result agent_mhd_destroy_post_processor(struct MHD_PostProcessor *processor) {
    return agent_mhd() ? agent_mhd()->destroy_post_processor(processor) : MHD_NO;
}

#endif
