// The libc headers the agent uses, imported through the project's own module map
// (there is no Glibc module in Embedded Swift), plus static inline helpers for what
// Swift cannot reach directly: errno and a few macros.
#ifndef PRINTER_AGENT_CLIBC_SHIM_H
#define PRINTER_AGENT_CLIBC_SHIM_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/un.h>
#include <termios.h>
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

/// Writes the hardware address of the interface holding the IPv4 address `address` (network
/// order), as `AA-BB-CC-DD-EE-FF`, into `out` (at least 18 bytes). Returns 0, or -1 when no
/// interface holds it or it has no 6-byte hardware address.
static inline int agent_mac_of_ipv4(uint32_t address, char *out, size_t outlen) {
    struct ifaddrs *list = NULL;
    if (outlen < 18 || getifaddrs(&list) != 0) return -1;
    const char *name = NULL;
    for (struct ifaddrs *it = list; it != NULL && name == NULL; it = it->ifa_next) {
        if (it->ifa_addr != NULL && it->ifa_addr->sa_family == AF_INET
            && ((struct sockaddr_in *)it->ifa_addr)->sin_addr.s_addr == address) name = it->ifa_name;
    }
    int found = -1;
    for (struct ifaddrs *it = list; it != NULL && name != NULL && found != 0; it = it->ifa_next) {
        if (it->ifa_addr == NULL || it->ifa_addr->sa_family != AF_PACKET || strcmp(it->ifa_name, name) != 0) continue;
        const struct sockaddr_ll *link = (const struct sockaddr_ll *)it->ifa_addr;
        if (link->sll_halen != 6) break;
        snprintf(out, outlen, "%02X-%02X-%02X-%02X-%02X-%02X", link->sll_addr[0], link->sll_addr[1], link->sll_addr[2],
                 link->sll_addr[3], link->sll_addr[4], link->sll_addr[5]);
        found = 0;
    }
    freeifaddrs(list);
    return found;
}

/// Opens the SSDP socket: UDP, non-blocking, close-on-exec, SO_REUSEADDR (another SSDP
/// daemon may share the port), bound to `port` on every address, and joined to the group
/// 239.255.255.250 on the interface of `interface` (network order; INADDR_ANY: the kernel's
/// choice). Returns the descriptor or -1; `*joined` is 0 when the join failed (searches sent
/// to the host's own address are still received).
static inline int agent_ssdp_socket(uint16_t port, uint32_t interface, int *joined) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
        || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    struct ip_mreq group;
    group.imr_multiaddr.s_addr = inet_addr("239.255.255.250");
    group.imr_interface.s_addr = interface;
    *joined = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group, sizeof group) == 0;
    return fd;
}

/// Writes this host's IPv4 address on the route towards `peer` (the source address a reply
/// to it leaves from), dotted, into `out`. Returns 0, or -1.
static inline int agent_local_ipv4_towards(const struct sockaddr_in *peer, char *out, size_t outlen) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in local;
    socklen_t length = sizeof local;
    int rc = connect(fd, (const struct sockaddr *)peer, sizeof *peer) == 0
        && getsockname(fd, (struct sockaddr *)&local, &length) == 0
        && inet_ntop(AF_INET, &local.sin_addr, out, (socklen_t)outlen) != NULL ? 0 : -1;
    close(fd);
    return rc;
}

// ---- Storage roots (Sources/AgentPlatform/StorageRoot.swift) ----
#include <linux/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/// openat(2) without its variadic mode argument (Swift cannot call variadic C functions).
static inline int agent_openat(int dirfd, const char *path, int flags) { return openat(dirfd, path, flags); }

/// `openat` creating a file with permission bits `mode` (O_CREAT needs the variadic mode).
static inline int agent_openat_mode(int dirfd, const char *path, int flags, unsigned int mode) {
    return openat(dirfd, path, flags, (mode_t)mode);
}

/// getdents64(2) through syscall(2): reads directory entries of `fd` into `buffer` with
/// 64-bit inode numbers and offsets on every architecture. (glibc's readdir in a 32-bit
/// build without _FILE_OFFSET_BITS=64 fails with EOVERFLOW when the filesystem hands out
/// 64-bit directory offsets, as ext4 does to a 32-bit program under qemu-user or on a
/// 64-bit kernel.) Returns the bytes read, 0 at the end, or -1 with errno set.
static inline long agent_getdents64(int fd, void *buffer, unsigned long size) {
    return syscall(SYS_getdents64, fd, buffer, size);
}

/// The name of the getdents64 record at `offset` of `buffer`, which holds `length` bytes
/// (struct linux_dirent64: d_ino 8 bytes, d_off 8, d_reclen 2, d_type 1, then the name),
/// and in `next` where the following record starts. NULL, with `next` set to `length`, for a
/// record that does not fit in the buffer.
static inline const char *agent_dirent64_name(const void *buffer, long length, long offset, long *next) {
    const unsigned char *base = (const unsigned char *)buffer;
    const long header = 19;
    unsigned short reclen = 0;
    if (offset < 0 || offset + header >= length) { *next = length; return NULL; }
    memcpy(&reclen, base + offset + 16, sizeof reclen);
    if (reclen <= header || offset + reclen > length) { *next = length; return NULL; }
    *next = offset + reclen;
    return (const char *)(base + offset + header);
}

/// What the storage code needs to know of a file, in types that are 64 bits wide on every
/// architecture (armv7 builds without _FILE_OFFSET_BITS=64, so its `struct stat` has a
/// 32-bit size and fstatat fails with EOVERFLOW on files of 2 GiB or more).
struct agent_file_info {
    unsigned int mode;            /* st_mode: the file type and permission bits */
    long long size;               /* bytes */
    long long mtime_ms;           /* last modification, milliseconds since 1970 */
    unsigned long long nlink;     /* hard links; 0 once a directory has been removed */
    unsigned long long device;    /* the filesystem's device number, makedev(major, minor) */
    unsigned long long mount_id;  /* the mount's id (a bind mount has its own), if has_mount_id */
    int has_mount_id;             /* 1 when the kernel reported mount_id (Linux 5.8 and later) */
};

/// Describes `name` in directory `dirfd` ("" describes `dirfd` itself). With `nofollow`
/// non-zero a symbolic link is described itself, never its target. Uses statx(2) through
/// syscall(2) (glibc declares statx only for _GNU_SOURCE) and falls back to fstatat(2) on
/// kernels before 4.11 or where a seccomp filter refuses statx; the fallback has no mount id.
/// Never triggers an automount. Returns 0, or -1 with errno set.
static inline int agent_file_info_at(int dirfd, const char *name, int nofollow, struct agent_file_info *out) {
    memset(out, 0, sizeof *out);
    int self = name[0] == '\0';
#if defined(SYS_statx) && defined(STATX_MNT_ID)
    const int at_no_automount = 0x800, at_empty_path = 0x1000; /* <fcntl.h> has them only for _GNU_SOURCE */
    struct statx sx;
    memset(&sx, 0, sizeof sx);
    int flags = at_no_automount | (nofollow ? AT_SYMLINK_NOFOLLOW : 0) | (self ? at_empty_path : 0);
    unsigned int mask = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_SIZE | STATX_MTIME | STATX_MNT_ID;
    if (syscall(SYS_statx, dirfd, name, flags, mask, &sx) == 0) {
        out->mode = sx.stx_mode;
        out->size = (long long)sx.stx_size;
        out->mtime_ms = (long long)sx.stx_mtime.tv_sec * 1000 + sx.stx_mtime.tv_nsec / 1000000;
        out->nlink = sx.stx_nlink;
        out->device = makedev(sx.stx_dev_major, sx.stx_dev_minor);
        if (sx.stx_mask & STATX_MNT_ID) {
            out->mount_id = sx.stx_mnt_id;
            out->has_mount_id = 1;
        }
        return 0;
    }
    if (errno != ENOSYS && errno != EPERM) return -1;
#endif
    struct stat st;
    int rc = self ? fstat(dirfd, &st) : fstatat(dirfd, name, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0);
    if (rc != 0) return -1;
    out->mode = st.st_mode;
    out->size = (long long)st.st_size;
    out->mtime_ms = (long long)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    out->nlink = (unsigned long long)st.st_nlink;
    out->device = (unsigned long long)st.st_dev;
    return 0;
}

/// The owner and permission bits of the file at `path` (a link followed), for a file
/// replaced by another that must keep them (StateFile.rewrite). statx(2) first, as in
/// agent_file_info_at: armv7's 32-bit `struct stat` fails with EOVERFLOW on a file system
/// with 64-bit inode numbers. Returns 0, or -1 with errno.
static inline int agent_owner_and_mode(const char *path, unsigned int *uid, unsigned int *gid, unsigned int *mode) {
#if defined(SYS_statx) && defined(STATX_UID)
    struct statx sx;
    memset(&sx, 0, sizeof sx);
    if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_UID | STATX_GID | STATX_MODE, &sx) == 0) {
        *uid = sx.stx_uid;
        *gid = sx.stx_gid;
        *mode = sx.stx_mode & 07777;
        return 0;
    }
    if (errno != ENOSYS && errno != EPERM) return -1;
#endif
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    *uid = st.st_uid;
    *gid = st.st_gid;
    *mode = st.st_mode & 07777;
    return 0;
}

// Unix stream sockets (Sources/AgentPlatform/UnixSocket.swift)

/// The longest path a Unix socket address holds (sun_path less its terminating NUL).
static inline size_t agent_unix_path_max(void) {
    return sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
}

/// Opens an AF_UNIX stream socket, non-blocking and close-on-exec (SOCK_* are enum values
/// glibc also defines as macros, awkward in Swift). Returns the descriptor, or -1 with errno.
static inline int agent_unix_stream_socket(void) {
    return socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/// connect(2)s `fd` to the socket file at `path`, at most agent_unix_path_max() bytes
/// (EINVAL for an empty path, ENAMETOOLONG for a longer one). Returns 0 or -1 with errno.
static inline int agent_unix_connect(int fd, const char *path) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    size_t plen = strlen(path);
    if (plen == 0) { errno = EINVAL; return -1; }
    if (plen >= sizeof addr.sun_path) { errno = ENAMETOOLONG; return -1; }
    memcpy(addr.sun_path, path, plen);
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
    return connect(fd, (struct sockaddr *)&addr, alen);
}

// Serial port (Sources/AgentPlatform/SerialPort.swift)

/// Makes the tty `fd` exclusive (TIOCEXCL): any further open(2) of it fails with EBUSY,
/// except for a process with CAP_SYS_ADMIN. ioctl(2) is variadic, which Swift cannot call.
/// Returns 0, or -1 with errno set.
static inline int agent_serial_exclusive(int fd) { return ioctl(fd, TIOCEXCL); }

/// The kernel's struct termios2 (<asm-generic/termbits.h>, the layout of x86_64, armv7 and
/// aarch64), declared under its own name: <asm/termbits.h> clashes with glibc's <termios.h>.
struct agent_termios2 {
    tcflag_t c_iflag, c_oflag, c_cflag, c_lflag;
    cc_t c_line;
    cc_t c_cc[19];
    speed_t c_ispeed, c_ospeed;
};
_Static_assert(sizeof(struct agent_termios2) == 44, "struct termios2 is 44 bytes on these architectures");

/// Sets the tty `fd` to `baud` bits per second, both ways, as a custom rate: BOTHER through
/// TCGETS2/TCSETS2 (as pyserial does), for the rates glibc has no B constant for (250000,
/// Marlin's default). The other settings are kept. Returns 0, or -1 with errno set.
static inline int agent_serial_set_custom_speed(int fd, unsigned int baud) {
    const tcflag_t bother = CBAUDEX; /* BOTHER of <asm/termbits.h>, 0010000 */
    struct agent_termios2 tio;
    if (ioctl(fd, _IOR('T', 0x2A, struct agent_termios2), &tio) != 0) return -1;
    tio.c_cflag = (tio.c_cflag & ~(tcflag_t)CBAUD) | bother;
    tio.c_ispeed = baud;
    tio.c_ospeed = baud;
    return ioctl(fd, _IOW('T', 0x2B, struct agent_termios2), &tio);
}

// Child processes (Sources/AgentPlatform/Subprocess.swift)
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ; /* <unistd.h> declares it only for _GNU_SOURCE */

/// Marks every descriptor from `lowest` up close-on-exec: close_range(2) with
/// CLOSE_RANGE_CLOEXEC (Linux 5.11), else fcntl(2) on each one below the soft RLIMIT_NOFILE
/// (at most 65536 of them). The agent runs on one thread, so nothing opens a descriptor
/// between this and the spawn that follows.
static inline void agent_cloexec_from(int lowest) {
#ifdef SYS_close_range
    const unsigned int close_range_cloexec = 4; /* CLOSE_RANGE_CLOEXEC of <linux/close_range.h> */
    if (syscall(SYS_close_range, (unsigned int)lowest, ~0U, close_range_cloexec) == 0) return;
#endif
    struct rlimit limit;
    long top = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < (rlim_t)top) top = (long)limit.rlim_cur;
    for (int fd = lowest; fd < top; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && (flags & FD_CLOEXEC) == 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

/// Starts `file` (looked up on PATH as execvp(3) does) with `argv` (NULL-terminated) and the
/// agent's environment, the way a service manager starts a program: an empty signal mask,
/// every signal at its default disposition but SIGPIPE, which keeps the agent's (ignored: an
/// installer must outlive an agent that dies, not be killed by its next line of output into
/// the dead agent's pipe), a process group of its own, standard input on
/// /dev/null, standard output and error into one new pipe whose read end (close-on-exec) is
/// stored in `*output`. Every other descriptor is made close-on-exec first, so the child
/// inherits none. Returns 0 with `*pid` set, or an errno value (posix_spawn's convention:
/// ENOENT or EACCES when the program cannot be run).
static inline int agent_spawn(const char *file, char *const argv[], pid_t *pid, int *output) {
    int ends[2];
    if (syscall(SYS_pipe2, ends, O_CLOEXEC) != 0) return errno; /* pipe2 is _GNU_SOURCE only */
    agent_cloexec_from(3);
    sigset_t none, all;
    sigemptyset(&none);
    /* Every signal, glibc's internal SIGCANCEL and SIGSETXID included: sigfillset leaves them
       out, and posix_spawn then sets them to SIG_IGN in a child of a threaded parent. */
    memset(&all, 0xff, sizeof all);
    sigdelset(&all, SIGPIPE);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    /* The pipe first: were the write end descriptor 0, opening /dev/null there would close it. */
    posix_spawn_file_actions_adddup2(&actions, ends[1], 1);
    posix_spawn_file_actions_adddup2(&actions, ends[1], 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawnp(pid, file, &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(ends[1]);
    if (rc != 0) {
        close(ends[0]);
        return rc;
    }
    *output = ends[0];
    return 0;
}

/// pidfd_open(2) (Linux 5.3) through syscall(2): a close-on-exec descriptor that polls
/// readable once process `pid` has exited. -1 with errno set (ENOSYS on older kernels).
static inline int agent_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

/// The status waitpid(2) stored, as a shell reports it: the exit code, or 128 plus the
/// signal's number for a process a signal killed (WIFSIGNALED and friends are macros).
static inline int agent_exit_status(int status) {
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/// A host name being looked up: the name, and the pipe's write end the answer goes to.
struct agent_lookup {
    int answer;
    char name[];
};

/// The lookup thread's body: getaddrinfo, then one message on the pipe (empty when the name
/// resolves, else the resolver's sentence), and the pipe closed. The reader may be gone by
/// then (a newer attempt replaced it): the write then fails with EPIPE, which the agent
/// ignores, and nothing else is shared.
static void *agent_lookup_run(void *argument) {
    struct agent_lookup *lookup = argument;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *found = NULL;
    int rc = getaddrinfo(lookup->name, NULL, &hints, &found);
    char answer[256] = "";
    if (rc != 0) snprintf(answer, sizeof answer, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    if (found != NULL) freeaddrinfo(found);
    if (write(lookup->answer, answer, strlen(answer) + 1) < 0) { /* the reader is gone */ }
    close(lookup->answer);
    free(lookup);
    return NULL;
}

/// Looks `name` up on a detached thread of its own, as libcurl's threaded resolver does:
/// getaddrinfo may block for the resolver's whole timeout, which the reactor's thread must
/// never do. Returns the pipe's read end (non-blocking, close-on-exec), readable once the
/// answer is there (see agent_lookup_run), or -1 with errno set.
static inline int agent_lookup_start(const char *name) {
    int ends[2];
    if (syscall(SYS_pipe2, ends, O_CLOEXEC | O_NONBLOCK) != 0) return -1; /* pipe2 is _GNU_SOURCE only */
    size_t length = strlen(name) + 1;
    struct agent_lookup *lookup = malloc(sizeof *lookup + length);
    if (lookup == NULL) {
        close(ends[0]);
        close(ends[1]);
        errno = ENOMEM;
        return -1;
    }
    lookup->answer = ends[1];
    memcpy(lookup->name, name, length);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    /* getaddrinfo and the NSS modules it loads need far less than the default 8 MiB. */
    pthread_attr_setstacksize(&attributes, 256 * 1024);
    pthread_t thread;
    int rc = pthread_create(&thread, &attributes, agent_lookup_run, lookup);
    pthread_attr_destroy(&attributes);
    if (rc != 0) {
        close(ends[0]);
        close(ends[1]);
        free(lookup);
        errno = rc;
        return -1;
    }
    return ends[0];
}

/// Whether `text` is an IPv4 or IPv6 address (nothing to look up).
static inline int agent_is_address(const char *text) {
    unsigned char bytes[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, text, bytes) == 1 || inet_pton(AF_INET6, text, bytes) == 1;
}

#endif
