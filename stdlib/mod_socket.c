/*
 * mod_socket.c -- the `socket` module: TCP over IPv4 and AF_UNIX stream
 * sockets, socketpair(), enough for I/O-bound thread demos and echo
 * servers.  Behaviour, defaults and messages follow CPython 3.11.
 *
 * Blocking.  Every descriptor is put in O_NONBLOCK mode internally, and
 * the socket's timeout decides what an operation does when the kernel
 * says EAGAIN:
 *   timeout None (blocking, the default)  wait as long as it takes;
 *   timeout 0.0 (setblocking(False))      raise BlockingIOError;
 *   timeout t > 0                         wait until a CLOCK_MONOTONIC
 *                                         deadline, then TimeoutError.
 * The operation is first tried WITHOUT giving the GIL away (a recv() that
 * finds data waiting, a send() with buffer room, costs no GIL switch);
 * only the wait that follows an EAGAIN -- poll() on the descriptor -- is
 * bracketed with MN_BEGIN_BLOCKING/MN_END_BLOCKING.  Deadlines are taken
 * before the first attempt, so sendall()'s timeout is a total, as in
 * CPython 3.5+.  The main thread polls in slices of SIGNAL_SLICE_MS so a
 * Ctrl-C turns into KeyboardInterrupt; EINTR is retried after the same
 * check.  Sends use MSG_NOSIGNAL (EPIPE becomes BrokenPipeError).
 *
 * Not provided: IPv6, UDP helpers (sendto/recvfrom), makefile(),
 * recv_into() (mini has no bytearray), getaddrinfo() beyond what
 * create_connection() needs internally.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../vm/eval.h"
#include "../vm/gil.h"
#include "../vm/tstate.h"
#include "mn_stdlib.h"

#define SIGNAL_SLICE_MS 20

typedef struct {
    Object hdr;
    Value dict;
    _Atomic int fd;             /* -1 once closed or detached */
    int family, type, proto;
    double timeout;             /* < 0: None (blocking); 0: non-blocking */
} SocketObject;

#define S(v) AS(SocketObject, v)

static Type SocketType;
static Type *GaiErrorType, *HErrorType;

/* socket.setdefaulttimeout(): process-wide, as in CPython (-1 = None). */
static _Atomic double default_timeout = -1.0;

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static Value raise_errno(int err)
{
    Value e = mn_oserror_new(err, NULL);
    return e ? mn_raise_exc(e) : MN_ERR;
}

static int raise_errno_int(int err)
{
    raise_errno(err);
    return -1;
}

static Value raise_timeout(void)
{
    return mn_raise(&TimeoutErrorType, "timed out");
}

static Value raise_gai(int code)
{
    Value args[2] = {mn_int(code), mn_str(gai_strerror(code))};
    Value e = mn_call(mn_val(GaiErrorType), args, 2, 0);
    return e ? mn_raise_exc(e) : MN_ERR;
}

/* ------------------------------------------------------------------ */
/* Waiting for a descriptor                                            */
/* ------------------------------------------------------------------ */

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The deadline (monotonic ns) of an operation starting now, or -1 for
 * none.  Only meaningful when timeout > 0. */
static int64_t op_deadline(double timeout)
{
    if (timeout <= 0)
        return -1;
    if (timeout > 1e9)
        timeout = 1e9;
    return mono_ns() + (int64_t)(timeout * 1e9);
}

/* poll() until fd has `events` (or an error/hang-up, which the retried
 * operation will report) or `deadline` (-1: none) passes.  1 ready,
 * 0 timed out, -1 exception (KeyboardInterrupt).  Releases the GIL. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    ThreadState *ts = mn_ts();
    bool is_main = ts == mn_interp.main_thread;
    for (;;) {
        int result = 0;
        bool interrupted = false;
        MN_BEGIN_BLOCKING(ts);
        for (;;) {
            int ms = -1;
            if (deadline >= 0) {
                int64_t left = deadline - mono_ns();
                if (left <= 0)
                    break;                      /* result 0: timed out */
                ms = (int)((left + 999999) / 1000000);
            }
            if (is_main && (ms < 0 || ms > SIGNAL_SLICE_MS))
                ms = SIGNAL_SLICE_MS;
            struct pollfd p = {.fd = fd, .events = events};
            int r = poll(&p, 1, ms);
            if (r > 0) {
                result = 1;
                break;
            }
            if (r < 0 && errno != EINTR) {
                result = -1;
                break;
            }
            if (is_main && mn_signal_pending()) {
                interrupted = true;
                break;
            }
        }
        int err = errno;
        MN_END_BLOCKING(ts);
        if (interrupted) {
            if (mn_eval_breaker_slow(ts) < 0)
                return -1;
            continue;                           /* handled: keep waiting */
        }
        if (result < 0)
            return raise_errno_int(err);
        return result;
    }
}

/* After an operation failed with `err`: 1 = wait and retry, 0 = the
 * caller raises (exception set here), -1 = exception set. */
static int after_eagain(SocketObject *s, int err, short events, int64_t deadline)
{
    if (err == EINTR) {
        ThreadState *ts = mn_ts();
        if (ts == mn_interp.main_thread && mn_signal_pending() && mn_eval_breaker_slow(ts) < 0)
            return -1;
        return 1;
    }
    if (err != EAGAIN && err != EWOULDBLOCK)
        return raise_errno_int(err);
    if (s->timeout == 0)
        return raise_errno_int(err);
    int w = wait_fd(atomic_load(&s->fd), events, deadline);
    if (w < 0)
        return -1;
    if (w == 0) {
        raise_timeout();
        return -1;
    }
    return 1;
}

static int live_fd(SocketObject *s)
{
    int fd = atomic_load(&s->fd);
    if (fd < 0)
        raise_errno(EBADF);
    return fd;
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

typedef union {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_un un;
    struct sockaddr_storage st;
} SockAddr;

/* Resolve an IPv4 host name ('' = INADDR_ANY, '<broadcast>'); the name
 * lookup runs with the GIL released. */
static int resolve_ipv4(const char *host, struct in_addr *out)
{
    if (!host[0]) {
        out->s_addr = htonl(INADDR_ANY);
        return 0;
    }
    if (!strcmp(host, "<broadcast>")) {
        out->s_addr = htonl(INADDR_BROADCAST);
        return 0;
    }
    if (inet_pton(AF_INET, host, out) == 1)
        return 0;
    char *copy = gc_alloc_atomic(strlen(host) + 1);
    strcpy(copy, host);
    struct addrinfo hints = {.ai_family = AF_INET}, *res = NULL;
    ThreadState *ts = mn_ts();
    MN_BEGIN_BLOCKING(ts);
    int r = getaddrinfo(copy, NULL, &hints, &res);
    if (r == 0)
        *out = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    if (res)
        freeaddrinfo(res);
    MN_END_BLOCKING(ts);
    if (r != 0) {
        raise_gai(r);
        return -1;
    }
    return 0;
}

static int port_arg(const char *caller, Value v, int *port)
{
    if (!mn_is_intlike(v))
        return mn_raise_int(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                            mn_type_name(v));
    int64_t p;
    if (mn_as_i64(v, &p) < 0 || p < 0 || p > 65535) {
        mn_exc_clear();
        return mn_raise_int(&OverflowErrorType, "%s(): port must be 0-65535.", caller);
    }
    *port = (int)p;
    return 0;
}

/* Python address -> sockaddr for this socket's family. */
static int parse_addr(SocketObject *s, const char *caller, Value addr, SockAddr *out, socklen_t *len)
{
    memset(out, 0, sizeof *out);
    if (s->family == AF_INET) {
        if (!mn_is_tuple(addr))
            return mn_raise_int(&TypeErrorType, "%s(): AF_INET address must be tuple, not %s",
                                caller, mn_type_name(addr));
        if (mn_tuple_len(addr) != 2)
            return mn_raise_int(&TypeErrorType, "AF_INET address must be a pair (host, port)");
        Value host = mn_tuple_items(addr)[0];
        if (!mn_is_str(host))
            return mn_raise_int(&TypeErrorType, "%s(): argument 1 must be str, not %s",
                                caller, mn_type_name(host));
        int port = 0;
        if (port_arg(caller, mn_tuple_items(addr)[1], &port) < 0)
            return -1;
        out->in.sin_family = AF_INET;
        out->in.sin_port = htons((uint16_t)port);
        if (resolve_ipv4(mn_cstr(host), &out->in.sin_addr) < 0)
            return -1;
        *len = sizeof out->in;
        return 0;
    }
    if (s->family == AF_UNIX) {
        const char *p;
        size_t n;
        if (mn_is_str(addr)) {
            p = mn_cstr(addr);
            n = (size_t)mn_str_len(addr);
        } else if (mn_isinstance_t(addr, &BytesType)) {
            p = (const char *)AS(BytesObject, addr)->data;
            n = (size_t)AS(BytesObject, addr)->len;
        } else {
            return mn_raise_int(&TypeErrorType, "%s(): AF_UNIX address must be str or bytes, not %s",
                                caller, mn_type_name(addr));
        }
        if (n >= sizeof out->un.sun_path)
            return mn_raise_int(&OSErrorType, "AF_UNIX path too long");
        out->un.sun_family = AF_UNIX;
        memcpy(out->un.sun_path, p, n);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (n && p[0] ? 1 : 0));
        return 0;
    }
    return mn_raise_int(&OSErrorType, "%s(): bad family", caller);
}

/* sockaddr -> Python address. */
static Value make_addr(const SockAddr *a, socklen_t len)
{
    if (a->sa.sa_family == AF_INET) {
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a->in.sin_addr, buf, sizeof buf);
        return mn_tuple_pack(2, mn_str(buf), mn_int(ntohs(a->in.sin_port)));
    }
    if (a->sa.sa_family == AF_UNIX) {
        size_t off = offsetof(struct sockaddr_un, sun_path);
        if (len <= off)
            return mn_str("");
        size_t n = len - off;
        if (a->un.sun_path[0] == 0)         /* abstract namespace: bytes */
            return mn_bytes_new(a->un.sun_path, n);
        n = strnlen(a->un.sun_path, n);
        return mn_str_new(a->un.sun_path, n);
    }
    if (len == 0 || a->sa.sa_family == AF_UNSPEC)
        return mn_None;
    return mn_tuple_pack(2, mn_int(a->sa.sa_family), mn_bytes_new(a->sa.sa_data, sizeof a->sa.sa_data));
}

/* ------------------------------------------------------------------ */
/* Construction                                                        */
/* ------------------------------------------------------------------ */

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

static Value wrap_fd(Type *t, int fd, int family, int type, int proto)
{
    SocketObject *s = mn_alloc_obj(t, 0);
    atomic_store(&s->fd, fd);
    s->family = family;
    s->type = type;
    s->proto = proto;
    s->timeout = atomic_load(&default_timeout);
    return mn_val(s);
}

static Value sock_new(Type *t, Value *args, int nargs, Value kwargs)
{
    SocketObject *s = mn_alloc_obj(t, 0);
    atomic_store(&s->fd, -1);
    s->family = AF_INET;
    s->type = SOCK_STREAM;
    s->timeout = -1;
    return mn_val(s);
}

static int int_arg(Value v, int *out)
{
    int64_t i;
    if (!mn_is_intlike(v))
        return mn_raise_int(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                            mn_type_name(v));
    if (mn_as_i64(v, &i) < 0)
        return -1;
    if (i < INT32_MIN || i > INT32_MAX)
        return mn_raise_int(&OverflowErrorType, "signed integer is greater than maximum");
    *out = (int)i;
    return 0;
}

/* socket(family=-1, type=-1, proto=-1, fileno=None), as CPython: the
 * defaults mean AF_INET / SOCK_STREAM / 0, or what the fd says. */
static int sock_init(Value self, Value *args, int nargs, Value kwargs)
{
    Value a[4];
    if (mn_argparse("socket", args, nargs, kwargs, "|family,type,proto,fileno", a) < 0)
        return -1;
    int family = -1, type = -1, proto = -1;
    if (a[0] && a[0] != mn_None && int_arg(a[0], &family) < 0)
        return -1;
    if (a[1] && a[1] != mn_None && int_arg(a[1], &type) < 0)
        return -1;
    if (a[2] && a[2] != mn_None && int_arg(a[2], &proto) < 0)
        return -1;
    SocketObject *s = S(self);
    int fd;
    if (a[3] && a[3] != mn_None) {
        if (int_arg(a[3], &fd) < 0)
            return -1;
        if (fd < 0)
            return mn_raise_int(&ValueErrorType, "negative file descriptor");
        socklen_t l = sizeof(int);
        if (family == -1 && getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &l) < 0)
            return raise_errno_int(errno);
        l = sizeof(int);
        if (type == -1 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
            return raise_errno_int(errno);
        l = sizeof(int);
        if (proto == -1 && getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) < 0)
            return raise_errno_int(errno);
    } else {
        if (family == -1)
            family = AF_INET;
        if (type == -1)
            type = SOCK_STREAM;
        if (proto == -1)
            proto = 0;
        fd = socket(family, type | SOCK_CLOEXEC, proto);
        if (fd < 0)
            return raise_errno_int(errno);
    }
    if (set_nonblock(fd) < 0) {
        int err = errno;
        if (!(a[3] && a[3] != mn_None))
            close(fd);
        return raise_errno_int(err);
    }
    atomic_store(&s->fd, fd);
    s->family = family;
    s->type = type;
    s->proto = proto;
    s->timeout = atomic_load(&default_timeout);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Methods                                                             */
/* ------------------------------------------------------------------ */

static Value sock_close(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("close", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    int fd = atomic_exchange(&S(args[0])->fd, -1);
    if (fd >= 0 && close(fd) < 0 && errno != ECONNRESET && errno != EINTR)
        return raise_errno(errno);
    return mn_None;
}

static Value sock_detach(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("detach", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(atomic_exchange(&S(args[0])->fd, -1));
}

static Value sock_fileno(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("fileno", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(atomic_load(&S(args[0])->fd));
}

static Value sock_bind(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("bind", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    SocketObject *s = S(args[0]);
    SockAddr a;
    socklen_t len;
    int fd = live_fd(s);
    if (fd < 0 || parse_addr(s, "bind", args[1], &a, &len) < 0)
        return MN_ERR;
    if (bind(fd, &a.sa, len) < 0)
        return raise_errno(errno);
    return mn_None;
}

static Value sock_listen(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("listen", nargs - 1, kwargs, 0, 1) < 0)
        return MN_ERR;
    int backlog = SOMAXCONN < 128 ? SOMAXCONN : 128;
    if (nargs > 1 && int_arg(args[1], &backlog) < 0)
        return MN_ERR;
    if (backlog < 0)
        backlog = 0;
    int fd = live_fd(S(args[0]));
    if (fd < 0)
        return MN_ERR;
    if (listen(fd, backlog) < 0)
        return raise_errno(errno);
    return mn_None;
}

static Value sock_accept(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("accept", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    SocketObject *s = S(args[0]);
    int64_t deadline = op_deadline(s->timeout);
    for (;;) {
        int fd = live_fd(s);
        if (fd < 0)
            return MN_ERR;
        SockAddr a;
        socklen_t len = sizeof a;
        int c = accept4(fd, &a.sa, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c >= 0) {
            /* CPython: the new socket gets the default timeout. */
            Value conn = wrap_fd(&SocketType, c, s->family, s->type, s->proto);
            Value addr = make_addr(&a, len);
            if (!addr)
                return MN_ERR;
            return mn_tuple_pack(2, conn, addr);
        }
        int r = after_eagain(s, errno, POLLIN, deadline);
        if (r <= 0)
            return MN_ERR;
    }
}

/* connect(): 0 or an errno (with `raise` false, for connect_ex), -1 with
 * an exception set. */
static int do_connect(SocketObject *s, Value addrv, bool raise, const char *caller)
{
    SockAddr a;
    socklen_t len;
    int fd = live_fd(s);
    if (fd < 0 || parse_addr(s, caller, addrv, &a, &len) < 0)
        return -1;
    int64_t deadline = op_deadline(s->timeout);
    int err = 0;
    if (connect(fd, &a.sa, len) < 0) {
        err = errno;
        if (err == EINTR || ((err == EINPROGRESS || err == EAGAIN) && s->timeout != 0)) {
            /* Wait for the outcome, then read it from SO_ERROR. */
            int w = wait_fd(fd, POLLOUT, deadline);
            if (w < 0)
                return -1;
            if (w == 0) {
                if (raise) {
                    raise_timeout();
                    return -1;
                }
                return EWOULDBLOCK;
            }
            socklen_t l = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
                err = errno;
            if (err == EISCONN)
                err = 0;
        }
    }
    if (err && raise)
        return raise_errno_int(err);
    return err;
}

static Value sock_connect(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("connect", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    return do_connect(S(args[0]), args[1], true, "connect") < 0 ? MN_ERR : mn_None;
}

static Value sock_connect_ex(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("connect_ex", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    int r = do_connect(S(args[0]), args[1], false, "connect_ex");
    return r < 0 ? MN_ERR : mn_int(r);
}

static int flags_arg(Value *args, int nargs, int at, int *flags)
{
    *flags = 0;
    return nargs > at ? int_arg(args[at], flags) : 0;
}

static Value sock_recv(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("recv", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    SocketObject *s = S(args[0]);
    int64_t n;
    int flags;
    if (!mn_is_intlike(args[1]))
        return mn_raise(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                        mn_type_name(args[1]));
    if (mn_as_i64(args[1], &n) < 0 || flags_arg(args, nargs, 2, &flags) < 0)
        return MN_ERR;
    if (n < 0)
        return mn_raise(&ValueErrorType, "negative buffersize in recv");
    if (n == 0)
        return mn_bytes_new("", 0);     /* CPython does not wait either */
    char stackbuf[8192];
    char *buf = n <= (int64_t)sizeof stackbuf ? stackbuf : gc_alloc_atomic((size_t)n);
    int64_t deadline = op_deadline(s->timeout);
    for (;;) {
        int fd = live_fd(s);
        if (fd < 0)
            return MN_ERR;
        ssize_t r = recv(fd, buf, (size_t)n, flags | MSG_DONTWAIT);
        if (r >= 0)
            return mn_bytes_new(buf, (size_t)r);
        int w = after_eagain(s, errno, POLLIN, deadline);
        if (w <= 0)
            return MN_ERR;
    }
}

/* The bytes of a bytes-like argument (mini has only bytes). */
static int bytes_arg(Value v, const char **p, size_t *n)
{
    if (!mn_isinstance_t(v, &BytesType))
        return mn_raise_int(&TypeErrorType, "a bytes-like object is required, not '%s'",
                            mn_type_name(v));
    *p = (const char *)AS(BytesObject, v)->data;
    *n = (size_t)AS(BytesObject, v)->len;
    return 0;
}

/* One send: bytes sent, or -1 with an exception. */
static ssize_t send_some(SocketObject *s, const char *p, size_t n, int flags, int64_t deadline)
{
    for (;;) {
        int fd = live_fd(s);
        if (fd < 0)
            return -1;
        ssize_t r = send(fd, p, n, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r >= 0)
            return r;
        int w = after_eagain(s, errno, POLLOUT, deadline);
        if (w <= 0)
            return -1;
    }
}

static Value sock_send(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("send", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    SocketObject *s = S(args[0]);
    const char *p = NULL;
    size_t n = 0;
    int flags = 0;
    if (bytes_arg(args[1], &p, &n) < 0 || flags_arg(args, nargs, 2, &flags) < 0)
        return MN_ERR;
    ssize_t r = send_some(s, p, n, flags, op_deadline(s->timeout));
    return r < 0 ? MN_ERR : mn_int(r);
}

static Value sock_sendall(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("sendall", nargs - 1, kwargs, 1, 2) < 0)
        return MN_ERR;
    SocketObject *s = S(args[0]);
    const char *p = NULL;
    size_t n = 0;
    int flags = 0;
    if (bytes_arg(args[1], &p, &n) < 0 || flags_arg(args, nargs, 2, &flags) < 0)
        return MN_ERR;
    int64_t deadline = op_deadline(s->timeout);
    while (n > 0) {
        ssize_t r = send_some(s, p, n, flags, deadline);
        if (r < 0)
            return MN_ERR;
        p += r;
        n -= (size_t)r;
    }
    return mn_None;
}

static Value sock_shutdown(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("shutdown", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    int how;
    if (int_arg(args[1], &how) < 0)
        return MN_ERR;
    int fd = live_fd(S(args[0]));
    if (fd < 0)
        return MN_ERR;
    if (shutdown(fd, how) < 0)
        return raise_errno(errno);
    return mn_None;
}

static Value name_of(Value *args, int nargs, Value kwargs, const char *fname, bool peer)
{
    if (mn_argcheck(fname, nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    int fd = live_fd(S(args[0]));
    if (fd < 0)
        return MN_ERR;
    SockAddr a;
    memset(&a, 0, sizeof a);
    socklen_t len = sizeof a;
    int r = peer ? getpeername(fd, &a.sa, &len) : getsockname(fd, &a.sa, &len);
    if (r < 0)
        return raise_errno(errno);
    if (a.sa.sa_family == AF_UNSPEC && S(args[0])->family == AF_UNIX)
        return mn_str("");
    return make_addr(&a, len);
}

static Value sock_getsockname(Value *args, int nargs, Value kwargs)
{
    return name_of(args, nargs, kwargs, "getsockname", false);
}

static Value sock_getpeername(Value *args, int nargs, Value kwargs)
{
    return name_of(args, nargs, kwargs, "getpeername", true);
}

static Value sock_setsockopt(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("setsockopt", nargs - 1, kwargs, 3, 3) < 0)
        return MN_ERR;
    int level, opt, fd = live_fd(S(args[0]));
    if (fd < 0 || int_arg(args[1], &level) < 0 || int_arg(args[2], &opt) < 0)
        return MN_ERR;
    int r;
    if (mn_isinstance_t(args[3], &BytesType)) {
        r = setsockopt(fd, level, opt, AS(BytesObject, args[3])->data,
                       (socklen_t)AS(BytesObject, args[3])->len);
    } else {
        int v;
        if (int_arg(args[3], &v) < 0)
            return MN_ERR;
        r = setsockopt(fd, level, opt, &v, sizeof v);
    }
    if (r < 0)
        return raise_errno(errno);
    return mn_None;
}

static Value sock_getsockopt(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getsockopt", nargs - 1, kwargs, 2, 3) < 0)
        return MN_ERR;
    int level, opt, fd = live_fd(S(args[0]));
    if (fd < 0 || int_arg(args[1], &level) < 0 || int_arg(args[2], &opt) < 0)
        return MN_ERR;
    if (nargs > 3) {
        int buflen;
        if (int_arg(args[3], &buflen) < 0)
            return MN_ERR;
        if (buflen <= 0 || buflen > 1024)
            return mn_raise(&OSErrorType, "getsockopt buflen out of range");
        char *buf = gc_alloc_atomic((size_t)buflen);
        socklen_t l = (socklen_t)buflen;
        if (getsockopt(fd, level, opt, buf, &l) < 0)
            return raise_errno(errno);
        return mn_bytes_new(buf, l);
    }
    int v = 0;
    socklen_t l = sizeof v;
    if (getsockopt(fd, level, opt, &v, &l) < 0)
        return raise_errno(errno);
    return mn_int(v);
}

/* settimeout()'s argument: None -> -1, else a non-negative number. */
static int timeout_arg(Value v, double *out)
{
    if (v == mn_None) {
        *out = -1;
        return 0;
    }
    double d;
    if (mn_is_intlike(v)) {
        if (mn_int_as_double(v, &d) < 0)
            return -1;
    } else if (mn_isinstance_t(v, &FloatType)) {
        d = AS(FloatObject, v)->v;
        if (isnan(d))
            return mn_raise_int(&ValueErrorType, "Invalid value NaN (not a number)");
    } else {
        return mn_raise_int(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                            mn_type_name(v));
    }
    if (d < 0)
        return mn_raise_int(&ValueErrorType, "Timeout value out of range");
    *out = d;
    return 0;
}

static Value timeout_value(double t)
{
    return t < 0 ? mn_None : mn_float(t);
}

static Value sock_settimeout(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("settimeout", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    double t;
    if (timeout_arg(args[1], &t) < 0)
        return MN_ERR;
    S(args[0])->timeout = t;
    return mn_None;
}

static Value sock_gettimeout(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("gettimeout", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return timeout_value(S(args[0])->timeout);
}

static Value sock_setblocking(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("setblocking", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    int b = mn_truthy(args[1]);
    if (b < 0)
        return MN_ERR;
    S(args[0])->timeout = b ? -1 : 0;
    return mn_None;
}

static Value sock_getblocking(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getblocking", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_bool(S(args[0])->timeout != 0);
}

static Value sock_dup(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("dup", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    SocketObject *s = S(args[0]);
    int fd = live_fd(s);
    if (fd < 0)
        return MN_ERR;
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (nfd < 0)
        return raise_errno(errno);
    Value d = wrap_fd(mn_obj(args[0])->type, nfd, s->family, s->type, s->proto);
    S(d)->timeout = s->timeout;
    return d;
}

static Value sock_enter(Value *args, int nargs, Value kwargs)
{
    return args[0];
}

static Value sock_exit(Value *args, int nargs, Value kwargs)
{
    Value r = mn_call_method(args[0], "close", NULL, 0);
    return r ? mn_None : MN_ERR;
}

static Value sock_repr(Value self)
{
    SocketObject *s = S(self);
    int fd = atomic_load(&s->fd);
    Type *t = mn_typeof(self);
    StrBuf b;
    sb_init(&b);
    sb_addf(&b, "<%s.%s%s fd=%d, family=%d, type=%d, proto=%d",
            t->module ? mn_cstr(t->module) : "socket", t->name, fd < 0 ? " [closed]" : "",
            fd, s->family, s->type, s->proto);
    if (fd >= 0) {
        const char *which[2] = {"laddr", "raddr"};
        for (int i = 0; i < 2; i++) {
            SockAddr a;
            memset(&a, 0, sizeof a);
            socklen_t len = sizeof a;
            int r = i ? getpeername(fd, &a.sa, &len) : getsockname(fd, &a.sa, &len);
            if (r < 0)
                continue;
            Value addr = a.sa.sa_family == AF_UNSPEC ? mn_str("") : make_addr(&a, len);
            if (!addr)
                return MN_ERR;
            int tr = mn_truthy(addr);
            if (tr < 0)
                return MN_ERR;
            if (!tr)
                continue;
            sb_addf(&b, ", %s=", which[i]);
            if (sb_add_value_str(&b, addr) < 0)
                return MN_ERR;
        }
    }
    sb_addc(&b, '>');
    return sb_finish(&b);
}

static Value get_family(Value self) { return mn_int(S(self)->family); }
static Value get_type(Value self) { return mn_int(S(self)->type); }
static Value get_proto(Value self) { return mn_int(S(self)->proto); }
static Value get_timeout(Value self) { return timeout_value(S(self)->timeout); }

static MethodDef sock_methods[] = {
    {"accept", sock_accept, 0, NULL},
    {"bind", sock_bind, 0, NULL},
    {"close", sock_close, 0, NULL},
    {"connect", sock_connect, 0, NULL},
    {"connect_ex", sock_connect_ex, 0, NULL},
    {"detach", sock_detach, 0, NULL},
    {"dup", sock_dup, 0, NULL},
    {"fileno", sock_fileno, 0, NULL},
    {"getpeername", sock_getpeername, 0, NULL},
    {"getsockname", sock_getsockname, 0, NULL},
    {"getsockopt", sock_getsockopt, 0, NULL},
    {"setsockopt", sock_setsockopt, 0, NULL},
    {"gettimeout", sock_gettimeout, 0, NULL},
    {"settimeout", sock_settimeout, 0, NULL},
    {"getblocking", sock_getblocking, 0, NULL},
    {"setblocking", sock_setblocking, 0, NULL},
    {"listen", sock_listen, 0, NULL},
    {"recv", sock_recv, 0, NULL},
    {"send", sock_send, 0, NULL},
    {"sendall", sock_sendall, 0, NULL},
    {"shutdown", sock_shutdown, 0, NULL},
    {"__enter__", sock_enter, 0, NULL},
    {"__exit__", sock_exit, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef sock_getset[] = {
    {"family", get_family, NULL},
    {"type", get_type, NULL},
    {"proto", get_proto, NULL},
    {"timeout", get_timeout, NULL},
    {NULL, NULL, NULL},
};

static Type SocketType = {
    .hdr = {&TypeType},
    .name = "socket",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(SocketObject),
    .dictoffset = offsetof(SocketObject, dict),
    .methods = sock_methods,
    .getset = sock_getset,
    .repr = sock_repr,
    .new = sock_new,
    .init = sock_init,
};

/* ------------------------------------------------------------------ */
/* Module functions                                                    */
/* ------------------------------------------------------------------ */

static Value m_socketpair(Value *args, int nargs, Value kwargs)
{
    Value a[3];
    if (mn_argparse("socketpair", args, nargs, kwargs, "|family,type,proto", a) < 0)
        return MN_ERR;
    int family = AF_UNIX, type = SOCK_STREAM, proto = 0;
    if ((a[0] && a[0] != mn_None && int_arg(a[0], &family) < 0)
        || (a[1] && a[1] != mn_None && int_arg(a[1], &type) < 0)
        || (a[2] && a[2] != mn_None && int_arg(a[2], &proto) < 0))
        return MN_ERR;
    int fds[2];
    if (socketpair(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto, fds) < 0)
        return raise_errno(errno);
    return mn_tuple_pack(2, wrap_fd(&SocketType, fds[0], family, type, proto),
                         wrap_fd(&SocketType, fds[1], family, type, proto));
}

static Value m_getdefaulttimeout(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("getdefaulttimeout", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return timeout_value(atomic_load(&default_timeout));
}

static Value m_setdefaulttimeout(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("setdefaulttimeout", nargs, kwargs, 1, 1) < 0)
        return MN_ERR;
    double t;
    if (timeout_arg(args[0], &t) < 0)
        return MN_ERR;
    atomic_store(&default_timeout, t);
    return mn_None;
}

static Value m_gethostname(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("gethostname", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    char buf[256];
    if (gethostname(buf, sizeof buf) < 0)
        return raise_errno(errno);
    buf[sizeof buf - 1] = 0;
    return mn_str(buf);
}

static Value m_gethostbyname(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("gethostbyname", nargs, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (!mn_is_str(args[0]))
        return mn_raise(&TypeErrorType, "gethostbyname() argument 1 must be str, not %s",
                        mn_type_name(args[0]));
    struct in_addr in;
    if (resolve_ipv4(mn_cstr(args[0]), &in) < 0)
        return MN_ERR;
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in, buf, sizeof buf);
    return mn_str(buf);
}

/* Integer byte-order helpers. */
static Value order16(Value *args, int nargs, Value kwargs, const char *name)
{
    if (mn_argcheck(name, nargs, kwargs, 1, 1) < 0)
        return MN_ERR;
    int64_t v;
    if (!mn_is_intlike(args[0]))
        return mn_raise(&TypeErrorType, "'%s' object cannot be interpreted as an integer",
                        mn_type_name(args[0]));
    if (mn_as_i64(args[0], &v) < 0)
        return MN_ERR;
    if (v < 0)
        return mn_raise(&OverflowErrorType, "%s: can't convert negative Python int to C 16-bit unsigned integer", name);
    if (v > 0xffff)
        return mn_raise(&OverflowErrorType, "%s: Python int too large to convert to C 16-bit unsigned integer", name);
    return mn_int(htons((uint16_t)v));
}

static Value m_htons(Value *args, int nargs, Value kwargs) { return order16(args, nargs, kwargs, "htons"); }
static Value m_ntohs(Value *args, int nargs, Value kwargs) { return order16(args, nargs, kwargs, "ntohs"); }

/* create_connection(address, timeout=<default>, source_address=None). */
static Value m_create_connection(Value *args, int nargs, Value kwargs)
{
    Value a[3];
    if (mn_argparse("create_connection", args, nargs, kwargs, "address|timeout,source_address", a) < 0)
        return MN_ERR;
    Value sock = mn_call0(mn_val(&SocketType));
    if (!sock)
        return MN_ERR;
    SocketObject *s = S(sock);
    if (a[1] && timeout_arg(a[1], &s->timeout) < 0)
        goto fail;
    if (a[2] && a[2] != mn_None) {
        Value r = mn_call_method(sock, "bind", &a[2], 1);
        if (!r)
            goto fail;
    }
    if (do_connect(s, a[0], true, "connect") < 0)
        goto fail;
    return sock;
fail:;
    Value exc = mn_exc_fetch();
    int fd = atomic_exchange(&s->fd, -1);
    if (fd >= 0)
        close(fd);
    mn_raise_exc(exc);
    return MN_ERR;
}

/* create_server(address, *, family=AF_INET, backlog=None, reuse_port=False) */
static Value m_create_server(Value *args, int nargs, Value kwargs)
{
    Value a[4];
    if (mn_argparse("create_server", args, nargs, kwargs, "address|$family,backlog,reuse_port", a) < 0)
        return MN_ERR;
    Value fam = a[1] ? a[1] : mn_int(AF_INET);
    Value sock = mn_call1(mn_val(&SocketType), fam);
    if (!sock)
        return MN_ERR;
    SocketObject *s = S(sock);
    int one = 1, fd = atomic_load(&s->fd);
    if (s->family != AF_UNIX)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a[3] && a[3] != mn_False)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    Value r = mn_call_method(sock, "bind", &a[0], 1);
    if (r) {
        Value bl = a[2] && a[2] != mn_None ? a[2] : 0;
        r = mn_call_method(sock, "listen", bl ? &bl : NULL, bl ? 1 : 0);
    }
    if (!r) {
        Value exc = mn_exc_fetch();
        fd = atomic_exchange(&s->fd, -1);
        if (fd >= 0)
            close(fd);
        mn_raise_exc(exc);
        return MN_ERR;
    }
    return sock;
}

static const MethodDef module_functions[] = {
    {"socketpair", m_socketpair, 0, NULL},
    {"getdefaulttimeout", m_getdefaulttimeout, 0, NULL},
    {"setdefaulttimeout", m_setdefaulttimeout, 0, NULL},
    {"gethostname", m_gethostname, 0, NULL},
    {"gethostbyname", m_gethostbyname, 0, NULL},
    {"htons", m_htons, 0, NULL},
    {"ntohs", m_ntohs, 0, NULL},
    {"create_connection", m_create_connection, 0, NULL},
    {"create_server", m_create_server, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static const struct { const char *name; int value; } int_constants[] = {
    {"AF_UNSPEC", AF_UNSPEC}, {"AF_INET", AF_INET}, {"AF_UNIX", AF_UNIX},
    {"SOCK_STREAM", SOCK_STREAM}, {"SOCK_DGRAM", SOCK_DGRAM}, {"SOCK_RAW", SOCK_RAW},
    {"SOCK_NONBLOCK", SOCK_NONBLOCK}, {"SOCK_CLOEXEC", SOCK_CLOEXEC},
    {"SOL_SOCKET", SOL_SOCKET}, {"SO_REUSEADDR", SO_REUSEADDR}, {"SO_REUSEPORT", SO_REUSEPORT},
    {"SO_KEEPALIVE", SO_KEEPALIVE}, {"SO_BROADCAST", SO_BROADCAST}, {"SO_LINGER", SO_LINGER},
    {"SO_RCVBUF", SO_RCVBUF}, {"SO_SNDBUF", SO_SNDBUF}, {"SO_ERROR", SO_ERROR},
    {"SO_TYPE", SO_TYPE}, {"SO_RCVTIMEO", SO_RCVTIMEO}, {"SO_SNDTIMEO", SO_SNDTIMEO},
    {"IPPROTO_IP", IPPROTO_IP}, {"IPPROTO_TCP", IPPROTO_TCP}, {"IPPROTO_UDP", IPPROTO_UDP},
    {"TCP_NODELAY", TCP_NODELAY},
    {"SHUT_RD", SHUT_RD}, {"SHUT_WR", SHUT_WR}, {"SHUT_RDWR", SHUT_RDWR},
    {"SOMAXCONN", SOMAXCONN},
    {"MSG_PEEK", MSG_PEEK}, {"MSG_WAITALL", MSG_WAITALL}, {"MSG_DONTWAIT", MSG_DONTWAIT},
    {"MSG_OOB", MSG_OOB},
    {"INADDR_ANY", INADDR_ANY}, {"INADDR_LOOPBACK", INADDR_LOOPBACK},
    {"EAI_NONAME", EAI_NONAME}, {"EAI_AGAIN", EAI_AGAIN},
};

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

static Type *make_exc(const char *name, Type *base)
{
    Value ns = mn_dict_new();
    mn_dict_set_cstr(ns, "__module__", mn_str("socket"));
    Value t = mn_class_new(mn_intern(name), base, ns, mn_str("socket"));
    return t ? AS(Type, t) : NULL;
}

Value mn_module_socket_init(void)
{
    pthread_mutex_lock(&init_mu);
    int r = 0;
    if (!(SocketType.flags & TF_READY)) {
        SocketType.module = mn_intern("socket");
        r = mn_type_ready(&SocketType);
    }
    if (r == 0 && !GaiErrorType) {
        GaiErrorType = make_exc("gaierror", &OSErrorType);
        HErrorType = make_exc("herror", &OSErrorType);
        if (!GaiErrorType || !HErrorType)
            r = -1;
    }
    pthread_mutex_unlock(&init_mu);
    if (r < 0)
        return MN_ERR;
    Value mod = mn_module_new(mn_intern("socket"));
    mn_module_add_methods(mod, module_functions);
    mn_module_add(mod, "socket", mn_val(&SocketType));
    mn_module_add(mod, "SocketType", mn_val(&SocketType));
    mn_module_add(mod, "error", mn_val(&OSErrorType));
    mn_module_add(mod, "timeout", mn_val(&TimeoutErrorType));
    mn_module_add(mod, "gaierror", mn_val(GaiErrorType));
    mn_module_add(mod, "herror", mn_val(HErrorType));
    mn_module_add(mod, "has_ipv6", mn_False);
    for (size_t i = 0; i < sizeof int_constants / sizeof *int_constants; i++)
        mn_module_add(mod, int_constants[i].name, mn_int(int_constants[i].value));
    return mod;
}
