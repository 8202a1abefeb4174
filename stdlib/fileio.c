/*
 * fileio.c -- file objects: open(), sys.stdin/stdout/stderr.
 *
 * One C structure serves every kind of file CPython layers out of
 * FileIO + BufferedReader/Writer/Random + TextIOWrapper: a file
 * descriptor with its own read and write buffers, plus a text layer
 * (decoding on read, encoding on write, universal newlines on read).
 * The Python-visible type names follow CPython (_io.TextIOWrapper,
 * _io.BufferedReader, ...); all of them share the methods of _IOBase.
 *
 * Buffering (CPython's rules):
 *   - regular files: a write buffer flushed when full, on flush(), seek(),
 *     close(), when a read follows a write, or at exit;
 *   - sys.stdout: fully buffered when not a terminal, line-buffered on a
 *     terminal; sys.stderr: always line-buffered;
 *   - buffering=0 (binary only): every write goes straight to write(2).
 * print() writes its pieces with one lock and one copy into the buffer
 * (mn_file_write_pieces) -- that path is what makes printing a million
 * lines cheap.
 *
 * Concurrency: each file has a mutex guarding its buffers, so threads may
 * print to one stream at once with the GIL off.  No mini code ever runs
 * while a file lock is held, and no code path holds two file locks.
 *
 * Lifetime: a file that becomes garbage without close() is flushed and
 * closed by a collector finalizer (CPython does it by refcount); writable
 * files are also listed, through hidden pointers that do not keep them
 * alive, in a registry that mn_flush_std_streams() walks at exit, so
 * unclosed output files are complete when the process ends.
 *
 * Writing to a closed pipe: SIGPIPE is ignored by the command line, so
 * write(2) fails with EPIPE and the write raises BrokenPipeError; the
 * unwritten data is dropped so the error is not raised again at exit.
 *
 * tell()/seek() positions are byte offsets, which is what CPython's text
 * files report too when the decoder has no pending state (always, for
 * UTF-8, Latin-1 and ASCII).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gc/gc.h>

#include "../vm/eval.h"
#include "../vm/gil.h"
#include "../vm/tstate.h"
#include "mn_stdlib.h"

enum { ENC_UTF8, ENC_LATIN1, ENC_ASCII };

/* Newline handling on input, from open()'s newline argument:
 *   None  NL_TRANSLATE  lines end at \n, \r\n or \r; all become \n
 *   ''    NL_UNIVERSAL  the same line ends, returned untranslated
 *   '\n'  NL_LF         (also binary files) lines end at \n only
 *   '\r'  NL_CR, '\r\n' NL_CRLF: only that sequence ends a line
 * The read buffer always holds the raw bytes, so tell() is exact. */
enum { NL_LF, NL_TRANSLATE, NL_UNIVERSAL, NL_CR, NL_CRLF };

/* Internal status codes of the *_locked helpers: 0 ok, > 0 an errno,
 * < 0 one of these. */
enum {
    ERR_CLOSED = -2,
    ERR_NOT_READABLE = -3,
    ERR_NOT_WRITABLE = -4,
    ERR_SIGNAL = -5,        /* SIGINT while blocked: run the eval breaker */
    ERR_RAISED = -6,        /* an exception has been set already */
};

#define FILE_BUFSIZE 8192
#define STDOUT_BUFSIZE 65536

typedef struct FileObject {
    Object hdr;
    Value name;             /* str path, or the int fd */
    Value mode;             /* str, as CPython reports it */
    Value encoding;         /* str (text files), 0 for binary */
    Value errors;           /* str (text files) */
    Value owner;            /* a `.buffer` view: the text file whose fd,
                               buffers and lock it uses; 0 otherwise */
    Value buffer_view;      /* cached .buffer of a text file */
    const char *wnl;        /* newline written for "\n" (NULL: "\n") */
    int fd;
    bool readable, writable, appending, binary, closefd;
    bool line_buffered, unbuffered, is_std, closed;
    uint8_t nlmode;         /* NL_*: how readline finds line ends */
    bool registered;
    uint8_t enc;
    char *wbuf;
    size_t wlen, wcap;
    char *rbuf;
    size_t rpos, rlen, rcap;
    pthread_mutex_t lock;
} FileObject;

static Type IOBaseType, TextIOWrapperType, BufferedReaderType, BufferedWriterType,
    BufferedRandomType, FileIOType;
static Type *UnsupportedOperationType;

static Value std_files[3];

static inline FileObject *F(Value v) { return AS(FileObject, v); }
/* The object that owns the fd, buffers and lock. */
static inline FileObject *IO(FileObject *f) { return f->owner ? F(f->owner) : f; }

bool mn_is_file(Value v)
{
    if (!mn_is_obj(v))
        return false;
    Type *t = mn_obj(v)->type;
    return t == &TextIOWrapperType || t == &BufferedReaderType || t == &BufferedWriterType
        || t == &BufferedRandomType || t == &FileIOType;
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static Value raise_errno(int err, Value filename)
{
    const char *fn = filename && mn_is_str(filename) ? mn_cstr(filename) : NULL;
    Value exc = mn_oserror_new(err, fn);
    if (!exc)
        return MN_ERR;
    return mn_raise_exc(exc);
}

/* Turn a status code into the exception.  ERR_SIGNAL returns 0 (retry)
 * when the eval breaker raised nothing. */
static Value raise_code(int code)
{
    switch (code) {
    case ERR_CLOSED:
        return mn_raise(&ValueErrorType, "I/O operation on closed file.");
    case ERR_NOT_READABLE:
        return mn_raise(UnsupportedOperationType, "not readable");
    case ERR_NOT_WRITABLE:
        return mn_raise(UnsupportedOperationType, "not writable");
    case ERR_SIGNAL:
        if (mn_eval_breaker_slow(mn_ts()) < 0)
            return MN_ERR;
        return mn_None;
    case ERR_RAISED:
        return MN_ERR;
    default:
        return raise_errno(code, 0);
    }
}

/* ------------------------------------------------------------------ */
/* Low-level buffer management (caller holds io->lock)                 */
/* ------------------------------------------------------------------ */

static bool main_thread(void)
{
    return mn_ts() && mn_ts() == mn_interp.main_thread;
}

/* Set while a collector finalizer closes a file: it runs inside some
 * allocation, where the GIL must not be released. */
static __thread bool in_finalizer;

/* Bracket a system call that may block (GIL released around it). */
static inline ThreadState *blocking_begin(void)
{
    ThreadState *ts = in_finalizer ? NULL : mn_ts();
    if (ts)
        MN_BEGIN_BLOCKING(ts);
    return ts;
}

static inline void blocking_end(ThreadState *ts)
{
    if (ts)
        MN_END_BLOCKING(ts);
}

/*
 * File locks and the GIL.  A thread may wait for the GIL while holding a
 * file lock (a read that blocked with the GIL released must re-acquire it
 * before building its result).  That is deadlock-free only if no thread
 * ever waits for a file lock while holding the GIL, so a contended file
 * lock is always waited for detached: try first, else release the GIL,
 * take the lock, and re-attach.
 */
static void file_lock(FileObject *io)
{
    if (pthread_mutex_trylock(&io->lock) == 0)
        return;
    ThreadState *ts = blocking_begin();
    pthread_mutex_lock(&io->lock);
    blocking_end(ts);
}

static inline void file_unlock(FileObject *io)
{
    pthread_mutex_unlock(&io->lock);
}

/* write(2) everything, retrying after EINTR and waiting on EAGAIN. */
static int raw_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ThreadState *ts = blocking_begin();
        ssize_t w = write(fd, p, n);
        int err = errno;
        if (w < 0 && err == EAGAIN) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, -1);
        }
        blocking_end(ts);
        if (w < 0) {
            if (err == EINTR || err == EAGAIN)
                continue;
            return err;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int flush_locked(FileObject *io)
{
    if (io->wlen == 0)
        return 0;
    int err = raw_write_all(io->fd, io->wbuf, io->wlen);
    /* On error the data is dropped: retrying a broken pipe at every later
     * flush (and at exit) helps nobody. */
    io->wlen = 0;
    return err;
}

static int check_locked(FileObject *io, FileObject *view, bool read, bool write)
{
    if (io->closed)
        return ERR_CLOSED;
    if (read && !view->readable)
        return ERR_NOT_READABLE;
    if (write && !view->writable)
        return ERR_NOT_WRITABLE;
    return 0;
}

/* Before reading: pending output goes first (r+ files). */
static int prepare_read_locked(FileObject *io)
{
    return io->wlen ? flush_locked(io) : 0;
}

/* Before writing to an r+ file, drop the read-ahead.  A binary file
 * gives it back (the write lands at the logical position, as
 * BufferedRandom does); a text file does not, because CPython's
 * TextIOWrapper writes where its read-ahead left the raw stream. */
static void prepare_write_locked(FileObject *io, FileObject *view)
{
    if (io->rlen > io->rpos && view->binary)
        lseek(io->fd, -(off_t)(io->rlen - io->rpos), SEEK_CUR);
    io->rpos = io->rlen = 0;
}

static int buf_write_locked(FileObject *io, const char *p, size_t n)
{
    if (io->unbuffered)
        return raw_write_all(io->fd, p, n);
    if (!io->wbuf) {
        io->wcap = io->fd == 1 ? STDOUT_BUFSIZE : FILE_BUFSIZE;
        io->wbuf = gc_alloc_atomic(io->wcap);
    }
    if (io->wlen + n > io->wcap) {
        int err = flush_locked(io);
        if (err)
            return err;
        if (n >= io->wcap)
            return raw_write_all(io->fd, p, n);
    }
    memcpy(io->wbuf + io->wlen, p, n);
    io->wlen += n;
    return 0;
}

/* Read more bytes into the read buffer.  Returns the number of raw bytes
 * read (0 at EOF), or a status code < 0 / errno as -(errno + 100). */
static ssize_t fill_locked(FileObject *io, size_t want)
{
    if (io->rpos > 0) {
        memmove(io->rbuf, io->rbuf + io->rpos, io->rlen - io->rpos);
        io->rlen -= io->rpos;
        io->rpos = 0;
    }
    size_t need = io->rlen + (want > FILE_BUFSIZE ? want : FILE_BUFSIZE);
    if (need > io->rcap) {
        size_t cap = io->rcap ? io->rcap : FILE_BUFSIZE;
        while (cap < need)
            cap *= 2;
        char *nb = gc_alloc_atomic(cap);
        if (io->rlen)
            memcpy(nb, io->rbuf, io->rlen);
        io->rbuf = nb;
        io->rcap = cap;
    }
    for (;;) {
        ThreadState *ts = blocking_begin();
        ssize_t r = read(io->fd, io->rbuf + io->rlen, io->rcap - io->rlen);
        int err = errno;
        if (r < 0 && err == EAGAIN) {
            struct pollfd pfd = {.fd = io->fd, .events = POLLIN};
            poll(&pfd, 1, -1);
        }
        blocking_end(ts);
        if (r < 0) {
            if (err == EINTR) {
                if (mn_signal_pending() && main_thread())
                    return ERR_SIGNAL;
                continue;
            }
            if (err == EAGAIN)
                continue;
            return -(err + 100);
        }
        io->rlen += (size_t)r;
        return r;
    }
}

static int fill_status(ssize_t r)
{
    return r <= -100 ? (int)(-r - 100) : (int)r;
}

/* ------------------------------------------------------------------ */
/* Text encoding                                                       */
/* ------------------------------------------------------------------ */

static const char *errors_name(FileObject *f)
{
    return f->errors && mn_is_str(f->errors) ? mn_cstr(f->errors) : "strict";
}

/* Decode n bytes of this file's encoding into a str. */
static Value decode_text(FileObject *f, const char *p, size_t n)
{
    if (f->enc == ENC_UTF8)
        return mn_str_decode_utf8(p, n, errors_name(f));
    const unsigned char *u = (const unsigned char *)p;
    StrBuf b;
    sb_init(&b);
    for (size_t i = 0; i < n; i++) {
        unsigned c = u[i];
        if (c < 0x80) {
            sb_addc(&b, (char)c);
        } else if (f->enc == ENC_LATIN1) {
            sb_addc(&b, (char)(0xC0 | (c >> 6)));
            sb_addc(&b, (char)(0x80 | (c & 0x3F)));
        } else {
            const char *e = errors_name(f);
            if (!strcmp(e, "replace"))
                sb_add(&b, "\xEF\xBF\xBD", 3);
            else if (strcmp(e, "ignore")) {
                Value a[5] = {mn_str("ascii"), mn_bytes_new(p, n), mn_int((intptr_t)i),
                              mn_int((intptr_t)i + 1), mn_str("ordinal not in range(128)")};
                Value exc = mn_call(mn_val(&UnicodeDecodeErrorType), a, 5, 0);
                return exc ? mn_raise_exc(exc) : MN_ERR;
            }
        }
    }
    return sb_finish(&b);
}

/* Text to write: the encoded bytes of str s in *out and *outlen (may point into
 * s).  Handles newline translation on output and non-UTF-8 encodings. */
static int encode_text(FileObject *f, Value s, const char **out, size_t *outlen)
{
    const char *p = mn_cstr(s);
    size_t n = (size_t)mn_str_len(s);
    if (f->wnl && memchr(p, '\n', n)) {
        StrBuf b;
        sb_init(&b);
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '\n')
                sb_adds(&b, f->wnl);
            else
                sb_addc(&b, p[i]);
        }
        p = b.buf;
        n = b.len;
    }
    if (f->enc != ENC_UTF8) {
        unsigned limit = f->enc == ENC_LATIN1 ? 256 : 128;
        const char *e = errors_name(f);
        char *o = gc_alloc_atomic(n + 1);
        size_t k = 0;
        int64_t pos = 0;
        for (size_t i = 0; i < n; pos++) {
            unsigned char c = (unsigned char)p[i];
            uint32_t cp;
            size_t sz = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            cp = sz == 1 ? c : c & (sz == 2 ? 0x1F : sz == 3 ? 0x0F : 0x07);
            for (size_t j = 1; j < sz && i + j < n; j++)
                cp = (cp << 6) | ((unsigned char)p[i + j] & 0x3F);
            i += sz;
            if (cp < limit) {
                o[k++] = (char)cp;
            } else if (!strcmp(e, "replace")) {
                o[k++] = '?';
            } else if (strcmp(e, "ignore")) {
                Value a[5] = {mn_str(f->enc == ENC_LATIN1 ? "latin-1" : "ascii"), s,
                              mn_int(pos), mn_int(pos + 1),
                              mn_str(f->enc == ENC_LATIN1 ? "ordinal not in range(256)"
                                                          : "ordinal not in range(128)")};
                Value exc = mn_call(mn_val(&UnicodeEncodeErrorType), a, 5, 0);
                if (exc)
                    mn_raise_exc(exc);
                return -1;
            }
        }
        p = o;
        n = k;
    }
    *out = p;
    *outlen = n;
    return 0;
}

/* Byte offset just past the first `nchars` characters of p[0..len), for
 * this file's encoding and newline mode (with NL_TRANSLATE, "\r\n" is one
 * character).  Returns false if the buffer ends first -- or ends inside a
 * character, or right after a "\r" whose partner may follow, unless `eof`
 * says nothing follows. */
static bool char_end(FileObject *f, const char *p, size_t len, int64_t nchars, bool eof,
                     size_t *end)
{
    bool crlf = f->nlmode == NL_TRANSLATE;
    if (f->binary || (f->enc != ENC_UTF8 && !crlf)) {
        if ((int64_t)len < nchars)
            return false;
        *end = (size_t)nchars;
        return true;
    }
    size_t i = 0;
    for (int64_t c = 0; c < nchars; c++) {
        if (i >= len)
            return false;
        unsigned char b = (unsigned char)p[i];
        size_t sz = 1;
        if (b == '\r' && crlf) {
            if (i + 1 < len)
                sz = p[i + 1] == '\n' ? 2 : 1;
            else if (!eof)
                return false;
        } else if (b >= 0x80 && f->enc == ENC_UTF8) {
            sz = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            if (i + sz > len) {
                if (!eof)
                    return false;
                sz = len - i;
            }
        }
        i += sz;
    }
    *end = i;
    return true;
}

/* Raw length of the first line in p[0..avail), per the newline mode;
 * false if no complete line is buffered (at EOF the caller takes all). */
static bool line_end(FileObject *f, const char *p, size_t avail, bool eof, size_t *out)
{
    const char *q;
    if (avail == 0) {           /* an empty buffer may have no storage yet */
        *out = 0;
        return false;
    }
    switch (f->binary ? NL_LF : f->nlmode) {
    case NL_CR:
        q = memchr(p, '\r', avail);
        break;
    case NL_CRLF:
        q = memmem(p, avail, "\r\n", 2);
        if (q) {
            *out = (size_t)(q - p) + 2;
            return true;
        }
        return false;
    case NL_TRANSLATE:
    case NL_UNIVERSAL: {
        const char *nl = memchr(p, '\n', avail);
        const char *cr = memchr(p, '\r', nl ? (size_t)(nl - p) : avail);
        if (!cr) {
            q = nl;
            break;
        }
        size_t i = (size_t)(cr - p);
        if (i + 1 < avail) {
            *out = i + 1 + (p[i + 1] == '\n');
            return true;
        }
        if (eof) {
            *out = i + 1;
            return true;
        }
        return false;       /* a \r at the end: \r\n may be split */
    }
    default:
        q = memchr(p, '\n', avail);
        break;
    }
    if (!q)
        return false;
    *out = (size_t)(q - p) + 1;
    return true;
}

/* The str or bytes for raw bytes p[0..n): newline translation, then
 * decoding. */
static Value make_result(FileObject *f, const char *p, size_t n)
{
    if (f->binary)
        return mn_bytes_new(p, n);
    if (f->nlmode == NL_TRANSLATE && memchr(p, '\r', n)) {
        char *t = gc_alloc_atomic(n + 1);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '\r') {
                t[k++] = '\n';
                if (i + 1 < n && p[i + 1] == '\n')
                    i++;
            } else {
                t[k++] = p[i];
            }
        }
        p = t;
        n = k;
    }
    return decode_text(f, p, n);
}

/* One attempt at read(size); *code receives a status when the result is 0. */
static Value read_locked(FileObject *f, FileObject *io, int64_t size, int *code)
{
    if ((*code = check_locked(io, f, true, false)) || (*code = prepare_read_locked(io)))
        return 0;
    size_t n;
    if (size < 0) {
        struct stat st;
        size_t hint = 0;
        if (fstat(io->fd, &st) == 0 && S_ISREG(st.st_mode)) {
            off_t pos = lseek(io->fd, 0, SEEK_CUR);
            if (pos >= 0 && st.st_size > pos)
                hint = (size_t)(st.st_size - pos) + 1;
        }
        for (;;) {
            ssize_t r = fill_locked(io, hint);
            if (r < 0) {
                *code = fill_status(r);
                return 0;
            }
            if (r == 0)
                break;
            hint = 0;
        }
        n = io->rlen - io->rpos;
    } else if (f->binary) {
        while (io->rlen - io->rpos < (size_t)size) {
            ssize_t r = fill_locked(io, (size_t)size - (io->rlen - io->rpos));
            if (r < 0) {
                *code = fill_status(r);
                return 0;
            }
            if (r == 0)
                break;
        }
        n = io->rlen - io->rpos;
        if (n > (size_t)size)
            n = (size_t)size;
    } else {
        bool eof = false;
        while (!char_end(f, io->rbuf + io->rpos, io->rlen - io->rpos, size, eof, &n)) {
            if (eof) {
                n = io->rlen - io->rpos;
                break;
            }
            ssize_t r = fill_locked(io, 0);
            if (r < 0) {
                *code = fill_status(r);
                return 0;
            }
            eof = r == 0;
        }
    }
    Value res = make_result(f, io->rbuf + io->rpos, n);
    if (!res) {
        *code = ERR_RAISED;
        return 0;
    }
    io->rpos += n;
    return res;
}

static Value readline_locked(FileObject *f, FileObject *io, int64_t limit, int *code)
{
    if ((*code = check_locked(io, f, true, false)) || (*code = prepare_read_locked(io)))
        return 0;
    size_t n;
    bool eof = false;
    for (;;) {
        size_t avail = io->rlen - io->rpos;
        if (line_end(f, io->rbuf + io->rpos, avail, eof, &n))
            break;
        /* A long line with a small limit need not be read to its end. */
        if (eof || (limit >= 0 && avail >= (size_t)limit * 4 + 2)) {
            n = avail;
            break;
        }
        ssize_t r = fill_locked(io, 0);
        if (r < 0) {
            *code = fill_status(r);
            return 0;
        }
        eof = r == 0;
    }
    if (limit >= 0) {
        size_t cut;
        if (char_end(f, io->rbuf + io->rpos, n, limit, true, &cut) && cut < n)
            n = cut;
    }
    Value res = make_result(f, io->rbuf + io->rpos, n);
    if (!res) {
        *code = ERR_RAISED;
        return 0;
    }
    io->rpos += n;
    return res;
}

typedef Value (*ReadOp)(FileObject *f, FileObject *io, int64_t arg, int *code);

/* Run a read under the lock; retry after a SIGINT that did not raise. */
static Value run_read(Value self, ReadOp op, int64_t arg)
{
    FileObject *f = F(self), *io = IO(f);
    for (;;) {
        int code = 0;
        file_lock(io);
        Value r = op(f, io, arg, &code);
        file_unlock(io);
        if (r)
            return r;
        Value e = raise_code(code);
        if (e != mn_None)
            return MN_ERR;
    }
}

/* size argument: None or an int (negative = everything). */
static int size_arg(Value v, int64_t *out)
{
    *out = -1;
    if (!v || v == mn_None)
        return 0;
    if (!mn_is_intlike(v) && !mn_type_lookup(mn_typeof(v), MN_ID(__index__))) {
        mn_raise(&TypeErrorType, "argument should be integer or None, not '%s'", mn_type_name(v));
        return -1;
    }
    return mn_as_index(v, out);
}

static Value f_read(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t size;
    if (mn_argparse("read", args + 1, nargs - 1, kwargs, "|size", a) < 0 || size_arg(a[0], &size) < 0)
        return MN_ERR;
    return run_read(args[0], read_locked, size);
}

static Value f_readline(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t size;
    if (mn_argparse("readline", args + 1, nargs - 1, kwargs, "|size", a) < 0
        || size_arg(a[0], &size) < 0)
        return MN_ERR;
    return run_read(args[0], readline_locked, size);
}

static inline int64_t result_len(Value v)
{
    return mn_is_str(v) ? mn_str_len(v) : AS(BytesObject, v)->len;
}

static Value f_readlines(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t hint;
    if (mn_argparse("readlines", args + 1, nargs - 1, kwargs, "|hint", a) < 0
        || size_arg(a[0], &hint) < 0)
        return MN_ERR;
    Value list = mn_list_new(0);
    int64_t total = 0;
    for (;;) {
        Value line = run_read(args[0], readline_locked, -1);
        if (!line)
            return MN_ERR;
        int64_t n = result_len(line);
        if (n == 0)
            break;
        if (mn_list_append(list, line) < 0)
            return MN_ERR;
        total += n;
        if (hint > 0 && total >= hint)
            break;
    }
    return list;
}

bool mn_file_input_buffered(Value file)
{
    if (!mn_is_file(file))
        return false;
    FileObject *io = IO(F(file));
    return io->rlen > io->rpos;
}

Value mn_file_readline(Value file)
{
    if (mn_is_file(file))
        return run_read(file, readline_locked, -1);
    return mn_call_method(file, "readline", NULL, 0);
}

static Value file_iter(Value self)
{
    FileObject *io = IO(F(self));
    if (io->closed)
        return mn_raise(&ValueErrorType, "I/O operation on closed file.");
    return self;
}

static Value file_next(Value self)
{
    Value line = run_read(self, readline_locked, -1);
    if (!line)
        return MN_ERR;
    if (result_len(line) == 0)
        return MN_ERR;      /* exhausted: no exception set */
    return line;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static Value write_bytes(FileObject *f, const char *p, size_t n, bool is_text)
{
    FileObject *io = IO(f);
    file_lock(io);
    int code = check_locked(io, f, false, true);
    if (!code) {
        prepare_write_locked(io, f);
        code = buf_write_locked(io, p, n);
        if (!code && io->line_buffered && (memchr(p, '\n', n) || (is_text && memchr(p, '\r', n))))
            code = flush_locked(io);
    }
    file_unlock(io);
    if (code)
        return raise_code(code) == mn_None ? mn_None : MN_ERR;
    return mn_None;
}

static Value f_write(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("write", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    FileObject *f = F(args[0]);
    Value s = args[1];
    if (!f->binary) {
        if (!mn_is_str(s))
            return mn_raise(&TypeErrorType, "write() argument must be str, not %s", mn_type_name(s));
        const char *p;
        size_t n;
        if (IO(f)->closed)
            return mn_raise(&ValueErrorType, "I/O operation on closed file.");
        if (encode_text(f, s, &p, &n) < 0)
            return MN_ERR;
        if (!write_bytes(f, p, n, true))
            return MN_ERR;
        return mn_int_from_i64(AS(StrObject, s)->nchars);
    }
    if (!mn_isinstance_t(s, &BytesType))
        return mn_raise(&TypeErrorType, "a bytes-like object is required, not '%s'", mn_type_name(s));
    BytesObject *b = AS(BytesObject, s);
    if (!write_bytes(f, (const char *)b->data, (size_t)b->len, false))
        return MN_ERR;
    return mn_int_from_i64(b->len);
}

static Value f_writelines(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("writelines", nargs - 1, kwargs, 1, 1) < 0)
        return MN_ERR;
    if (IO(F(args[0]))->closed)
        return mn_raise(&ValueErrorType, "I/O operation on closed file.");
    Value it = mn_iter(args[1]);
    if (!it)
        return MN_ERR;
    Value line;
    while ((line = mn_next(it))) {
        Value wa[2] = {args[0], line};
        if (!f_write(wa, 2, 0))
            return MN_ERR;
    }
    return mn_exc_occurred() ? MN_ERR : mn_None;
}

int mn_file_write_pieces(Value file, const MnPiece *p, int n, bool flush)
{
    if (mn_is_file(file) && !F(file)->binary && F(file)->enc == ENC_UTF8 && !F(file)->wnl) {
        FileObject *f = F(file), *io = IO(f);
        file_lock(io);
        int code = check_locked(io, f, false, true);
        if (!code) {
            prepare_write_locked(io, f);
            bool nl = false;
            for (int i = 0; i < n && !code; i++) {
                code = buf_write_locked(io, p[i].s, p[i].n);
                if (io->line_buffered && !nl && p[i].n)
                    nl = memchr(p[i].s, '\n', p[i].n) || memchr(p[i].s, '\r', p[i].n);
            }
            if (!code && (flush || nl))
                code = flush_locked(io);
        }
        file_unlock(io);
        if (code)
            return raise_code(code) == mn_None ? 0 : -1;
        return 0;
    }
    /* Anything else: file.write(piece) per piece, as CPython's print. */
    Value write = mn_getattr_s(file, "write");
    if (!write)
        return -1;
    for (int i = 0; i < n; i++) {
        Value s = p[i].str ? p[i].str : mn_str_new(p[i].s, p[i].n);
        if (!s || !mn_call1(write, s))
            return -1;
    }
    if (flush && !mn_call_method(file, "flush", NULL, 0))
        return -1;
    return 0;
}

static int flush_file(FileObject *f, bool check_closed)
{
    FileObject *io = IO(f);
    file_lock(io);
    int code = 0;
    if (io->closed)
        code = check_closed ? ERR_CLOSED : 0;
    else
        code = flush_locked(io);
    file_unlock(io);
    if (code)
        return raise_code(code) == mn_None ? 0 : -1;
    return 0;
}

int mn_file_flush(Value file)
{
    if (mn_is_file(file))
        return flush_file(F(file), true);
    return mn_call_method(file, "flush", NULL, 0) ? 0 : -1;
}

static Value f_flush(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("flush", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    return flush_file(F(args[0]), true) < 0 ? MN_ERR : mn_None;
}

/* ------------------------------------------------------------------ */
/* The open-file registry (flush at exit) and finalization              */
/* ------------------------------------------------------------------ */

typedef struct Reg {
    GC_hidden_pointer obj;
    struct Reg *prev, *next;
} Reg;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static Reg *reg_head;
static size_t reg_count;

/* Registry nodes are malloc'd (never collector memory) and the lock is
 * never held across an allocation, so a finalizer running inside some
 * allocation can always take it. */
static void reg_add(FileObject *f)
{
    Reg *r = malloc(sizeof *r);
    if (!r)
        return;
    r->obj = GC_HIDE_POINTER(f);
    r->prev = NULL;
    pthread_mutex_lock(&reg_lock);
    r->next = reg_head;
    if (reg_head)
        reg_head->prev = r;
    reg_head = r;
    reg_count++;
    f->registered = true;
    pthread_mutex_unlock(&reg_lock);
}

static void reg_remove(FileObject *f)
{
    pthread_mutex_lock(&reg_lock);
    if (f->registered) {
        GC_hidden_pointer h = GC_HIDE_POINTER(f);
        for (Reg *r = reg_head; r; r = r->next) {
            if (r->obj == h) {
                if (r->prev)
                    r->prev->next = r->next;
                else
                    reg_head = r->next;
                if (r->next)
                    r->next->prev = r->prev;
                reg_count--;
                free(r);
                break;
            }
        }
        f->registered = false;
    }
    pthread_mutex_unlock(&reg_lock);
}

static void close_locked(FileObject *io, int *err)
{
    if (io->closed)
        return;
    int e = flush_locked(io);
    if (err)
        *err = e;
    io->closed = true;
    /* The standard descriptors stay open for C-level writers (tracebacks
     * are printed through stdio). */
    if (io->closefd && io->fd > 2)
        close(io->fd);
}

static void file_finalizer(void *obj, void *data)
{
    FileObject *f = obj;
    reg_remove(f);
    in_finalizer = true;
    pthread_mutex_lock(&f->lock);   /* unreachable: nobody else holds it */
    close_locked(f, NULL);
    pthread_mutex_unlock(&f->lock);
    in_finalizer = false;
}

static void flush_quietly(Value v)
{
    if (!v || !mn_is_file(v))
        return;
    FileObject *io = IO(F(v));
    file_lock(io);
    if (!io->closed)
        flush_locked(io);
    file_unlock(io);
}

void mn_flush_std_streams(void)
{
    flush_quietly(std_files[MN_STDOUT]);
    flush_quietly(std_files[MN_STDERR]);
    if (mn_sys_dict) {
        flush_quietly(mn_dict_get_cstr(mn_sys_dict, "stdout"));
        flush_quietly(mn_dict_get_cstr(mn_sys_dict, "stderr"));
    }
    /* Unclosed output files: snapshot the registry into scanned memory
     * (allocated outside the lock), then flush each. */
    for (;;) {
        pthread_mutex_lock(&reg_lock);
        size_t n = reg_count;
        pthread_mutex_unlock(&reg_lock);
        if (n == 0)
            return;
        Value *snap = gc_alloc((n + 8) * sizeof(Value));
        size_t k = 0;
        pthread_mutex_lock(&reg_lock);
        bool fits = reg_count <= n + 8;
        if (fits)
            for (Reg *r = reg_head; r; r = r->next)
                snap[k++] = mn_val(GC_REVEAL_POINTER(r->obj));
        pthread_mutex_unlock(&reg_lock);
        if (!fits)
            continue;
        for (size_t i = 0; i < k; i++)
            flush_quietly(snap[i]);
        return;
    }
}

/* ------------------------------------------------------------------ */
/* Other methods                                                       */
/* ------------------------------------------------------------------ */

static Value f_close(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("close", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    FileObject *io = IO(F(args[0]));
    int err = 0;
    file_lock(io);
    close_locked(io, &err);
    file_unlock(io);
    if (io->registered)
        reg_remove(io);
    if (err)
        return raise_errno(err, 0);
    return mn_None;
}

static Value f_enter(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("__enter__", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    if (IO(F(args[0]))->closed)
        return mn_raise(&ValueErrorType, "I/O operation on closed file.");
    return args[0];
}

static Value f_exit(Value *args, int nargs, Value kwargs)
{
    return f_close(args, 1, 0) ? mn_None : MN_ERR;
}

static int open_check(Value self)
{
    if (IO(F(self))->closed)
        return mn_raise_int(&ValueErrorType, "I/O operation on closed file.");
    return 0;
}

static Value f_fileno(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("fileno", nargs - 1, kwargs, 0, 0) < 0 || open_check(args[0]) < 0)
        return MN_ERR;
    return mn_int(IO(F(args[0]))->fd);
}

static Value f_isatty(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("isatty", nargs - 1, kwargs, 0, 0) < 0 || open_check(args[0]) < 0)
        return MN_ERR;
    return mn_bool(isatty(IO(F(args[0]))->fd));
}

static Value f_readable(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("readable", nargs - 1, kwargs, 0, 0) < 0 || open_check(args[0]) < 0)
        return MN_ERR;
    return mn_bool(F(args[0])->readable);
}

static Value f_writable(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("writable", nargs - 1, kwargs, 0, 0) < 0 || open_check(args[0]) < 0)
        return MN_ERR;
    return mn_bool(F(args[0])->writable);
}

static Value f_seekable(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("seekable", nargs - 1, kwargs, 0, 0) < 0 || open_check(args[0]) < 0)
        return MN_ERR;
    return mn_bool(lseek(IO(F(args[0]))->fd, 0, SEEK_CUR) >= 0);
}

/* The logical position: the kernel's, minus unread read-ahead, plus
 * unwritten output.  Caller holds the lock. */
static int tell_locked(FileObject *io, off_t *out)
{
    off_t pos = lseek(io->fd, 0, SEEK_CUR);
    if (pos < 0)
        return errno;
    *out = pos - (off_t)(io->rlen - io->rpos) + (off_t)io->wlen;
    return 0;
}

static Value f_tell(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("tell", nargs - 1, kwargs, 0, 0) < 0)
        return MN_ERR;
    FileObject *io = IO(F(args[0]));
    off_t pos = 0;
    file_lock(io);
    int code = io->closed ? ERR_CLOSED : tell_locked(io, &pos);
    file_unlock(io);
    if (code)
        return raise_code(code) == mn_None ? mn_None : MN_ERR;
    return mn_int_from_i64(pos);
}

static Value f_seek(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("seek", args + 1, nargs - 1, kwargs, "cookie|whence", a) < 0)
        return MN_ERR;
    FileObject *f = F(args[0]), *io = IO(f);
    int64_t off, whence = 0;
    if (mn_isinstance_t(a[0], &FloatType))
        return mn_raise(&TypeErrorType, "an integer is required");
    if (mn_as_index(a[0], &off) < 0 || (a[1] && mn_as_index(a[1], &whence) < 0))
        return MN_ERR;
    if (whence < 0 || whence > 2)
        return mn_raise(&ValueErrorType, "invalid whence (%lld, should be 0, 1 or 2)",
                        (long long)whence);
    if (io->closed)
        return mn_raise(&ValueErrorType, "I/O operation on closed file.");
    if (!f->binary) {
        if (whence == 1 && off != 0)
            return mn_raise(UnsupportedOperationType, "can't do nonzero cur-relative seeks");
        if (whence == 2 && off != 0)
            return mn_raise(UnsupportedOperationType, "can't do nonzero end-relative seeks");
        if (whence == 0 && off < 0)
            return mn_raise(&ValueErrorType, "negative seek position %lld", (long long)off);
    }
    file_lock(io);
    int code = flush_locked(io);
    off_t pos = 0;
    if (!code) {
        if (whence == 1)
            off -= (int64_t)(io->rlen - io->rpos);
        io->rpos = io->rlen = 0;
        pos = lseek(io->fd, (off_t)off, (int)whence);
        if (pos < 0)
            code = errno;
    }
    file_unlock(io);
    if (code)
        return raise_errno(code, 0);
    return mn_int_from_i64(pos);
}

static Value f_truncate(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    if (mn_argparse("truncate", args + 1, nargs - 1, kwargs, "|pos", a) < 0)
        return MN_ERR;
    FileObject *f = F(args[0]), *io = IO(f);
    int64_t size = -1;
    if (a[0] && a[0] != mn_None && mn_as_index(a[0], &size) < 0)
        return MN_ERR;
    file_lock(io);
    int code = check_locked(io, f, false, true);
    off_t pos = 0;
    if (!code)
        code = flush_locked(io);
    if (!code && size < 0) {
        code = tell_locked(io, &pos);
        size = pos;
    }
    if (!code && ftruncate(io->fd, (off_t)size) < 0)
        code = errno;
    file_unlock(io);
    if (code)
        return raise_code(code) == mn_None ? mn_None : MN_ERR;
    return mn_int_from_i64(size);
}

/* ---- attributes ---------------------------------------------------- */

static Value g_closed(Value self) { return mn_bool(IO(F(self))->closed); }
static Value g_name(Value self) { return F(self)->name; }
static Value g_mode(Value self) { return F(self)->mode; }

static Value g_encoding(Value self)
{
    if (F(self)->binary)
        return mn_raise(&AttributeErrorType, "'_io.%s' object has no attribute 'encoding'",
                        mn_typeof(self)->name);
    return F(self)->encoding;
}

static Value g_errors(Value self)
{
    if (F(self)->binary)
        return mn_raise(&AttributeErrorType, "'_io.%s' object has no attribute 'errors'",
                        mn_typeof(self)->name);
    return F(self)->errors;
}

static Value g_line_buffering(Value self) { return mn_bool(IO(F(self))->line_buffered); }

static FileObject *file_alloc(Type *t)
{
    FileObject *f = mn_alloc_obj(t, 0);
    pthread_mutex_init(&f->lock, NULL);
    f->fd = -1;
    return f;
}

/* text_file.buffer: a binary view sharing the text file's fd, buffers and
 * lock, so writes through either come out in order. */
static Value g_buffer(Value self)
{
    FileObject *f = F(self);
    if (f->binary || f->owner)
        return mn_raise(&AttributeErrorType, "'_io.%s' object has no attribute 'buffer'",
                        mn_typeof(self)->name);
    if (f->buffer_view)
        return f->buffer_view;
    Type *t = f->readable && f->writable ? &BufferedRandomType
            : f->writable ? &BufferedWriterType : &BufferedReaderType;
    FileObject *b = file_alloc(t);
    b->owner = self;
    b->name = f->name;
    b->mode = f->mode;
    b->readable = f->readable;
    b->writable = f->writable;
    b->binary = true;
    b->fd = f->fd;
    f->buffer_view = mn_val(b);
    return f->buffer_view;
}

static Value file_repr(Value self)
{
    FileObject *f = F(self);
    StrBuf b;
    sb_init(&b);
    sb_addf(&b, "<_io.%s", mn_typeof(self)->name);
    if (f->name) {
        sb_adds(&b, " name=");
        if (sb_add_value_repr(&b, f->name) < 0)
            return MN_ERR;
    }
    if (mn_typeof(self) == &TextIOWrapperType || mn_typeof(self) == &FileIOType) {
        sb_adds(&b, " mode=");
        if (sb_add_value_repr(&b, f->mode) < 0)
            return MN_ERR;
    }
    if (mn_typeof(self) == &TextIOWrapperType) {
        sb_adds(&b, " encoding=");
        if (sb_add_value_repr(&b, f->encoding) < 0)
            return MN_ERR;
    }
    if (mn_typeof(self) == &FileIOType)
        sb_addf(&b, " closefd=%s", f->closefd ? "True" : "False");
    sb_addc(&b, '>');
    return sb_finish(&b);
}

static MethodDef file_methods[] = {
    {"read", f_read, 0, NULL},
    {"readline", f_readline, 0, NULL},
    {"readlines", f_readlines, 0, NULL},
    {"write", f_write, 0, NULL},
    {"writelines", f_writelines, 0, NULL},
    {"flush", f_flush, 0, NULL},
    {"close", f_close, 0, NULL},
    {"fileno", f_fileno, 0, NULL},
    {"isatty", f_isatty, 0, NULL},
    {"readable", f_readable, 0, NULL},
    {"writable", f_writable, 0, NULL},
    {"seekable", f_seekable, 0, NULL},
    {"seek", f_seek, 0, NULL},
    {"tell", f_tell, 0, NULL},
    {"truncate", f_truncate, 0, NULL},
    {"__enter__", f_enter, 0, NULL},
    {"__exit__", f_exit, 0, NULL},
    {NULL, NULL, 0, NULL},
};

static GetSetDef file_getset[] = {
    {"closed", g_closed, NULL},
    {"name", g_name, NULL},
    {"mode", g_mode, NULL},
    {"encoding", g_encoding, NULL},
    {"errors", g_errors, NULL},
    {"buffer", g_buffer, NULL},
    {"line_buffering", g_line_buffering, NULL},
    {NULL, NULL, NULL},
};

static Type IOBaseType = {
    .hdr = {&TypeType},
    .name = "_IOBase",
    .basicsize = sizeof(FileObject),
    .methods = file_methods,
    .getset = file_getset,
    .repr = file_repr,
    .iter = file_iter,
    .next = file_next,
};

#define FILE_SUBTYPE(var, pyname)                                       \
    static Type var = {                                                 \
        .hdr = {&TypeType},                                             \
        .name = pyname,                                                 \
        .base = &IOBaseType,                                            \
        .basicsize = sizeof(FileObject),                                \
    }

FILE_SUBTYPE(TextIOWrapperType, "TextIOWrapper");
FILE_SUBTYPE(BufferedReaderType, "BufferedReader");
FILE_SUBTYPE(BufferedWriterType, "BufferedWriter");
FILE_SUBTYPE(BufferedRandomType, "BufferedRandom");
FILE_SUBTYPE(FileIOType, "FileIO");

/* ------------------------------------------------------------------ */
/* open()                                                              */
/* ------------------------------------------------------------------ */

static int parse_encoding(Value enc, uint8_t *out)
{
    if (!enc || enc == mn_None) {
        *out = ENC_UTF8;
        return 0;
    }
    if (!mn_is_str(enc)) {
        mn_raise(&TypeErrorType, "open() argument 'encoding' must be str or None, not %s",
                 mn_type_name(enc));
        return -1;
    }
    char norm[32];
    const char *s = mn_cstr(enc);
    size_t n = 0;
    for (; s[n] && n < sizeof norm - 1; n++) {
        char c = s[n];
        norm[n] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    norm[n] = 0;
    if (!strcmp(norm, "utf-8") || !strcmp(norm, "utf8") || !strcmp(norm, "u8")
        || !strcmp(norm, "utf") || !strcmp(norm, "cp65001")) {
        *out = ENC_UTF8;
    } else if (!strcmp(norm, "latin-1") || !strcmp(norm, "latin1") || !strcmp(norm, "iso-8859-1")
               || !strcmp(norm, "iso8859-1") || !strcmp(norm, "l1") || !strcmp(norm, "latin")) {
        *out = ENC_LATIN1;
    } else if (!strcmp(norm, "ascii") || !strcmp(norm, "us-ascii") || !strcmp(norm, "646")) {
        *out = ENC_ASCII;
    } else {
        mn_raise(&LookupErrorType, "unknown encoding: %s", mn_cstr(enc));
        return -1;
    }
    return 0;
}

Value mn_builtin_open(Value *args, int nargs, Value kwargs)
{
    Value a[8];
    if (mn_argparse("open", args, nargs, kwargs,
                    "file|mode,buffering,encoding,errors,newline,closefd,opener", a) < 0)
        return MN_ERR;
    Value file = a[0], modev = a[1] ? a[1] : mn_str("r");
    if (!mn_is_str(modev))
        return mn_raise(&TypeErrorType, "open() argument 'mode' must be str, not %s",
                        mn_type_name(modev));
    int64_t buffering = -1;
    if (a[2] && mn_as_index(a[2], &buffering) < 0)
        return MN_ERR;
    bool closefd = true;
    if (a[6]) {
        int t = mn_truthy(a[6]);
        if (t < 0)
            return MN_ERR;
        closefd = t;
    }
    if (a[7] && a[7] != mn_None)
        return mn_raise(&TypeErrorType, "open(): the opener argument is not supported by mini");

    /* Mode string: CPython's _io.open validation. */
    const char *mode = mn_cstr(modev);
    bool creating = false, reading = false, writing = false, appending = false,
         updating = false, text = false, binary = false;
    for (const char *c = mode; *c; c++) {
        bool dup = false;
        switch (*c) {
        case 'x': dup = creating; creating = true; break;
        case 'r': dup = reading; reading = true; break;
        case 'w': dup = writing; writing = true; break;
        case 'a': dup = appending; appending = true; break;
        case '+': dup = updating; updating = true; break;
        case 't': dup = text; text = true; break;
        case 'b': dup = binary; binary = true; break;
        default: dup = true; break;
        }
        if (dup || strchr(c + 1, *c))
            return mn_raise(&ValueErrorType, "invalid mode: '%s'", mode);
    }
    if (text && binary)
        return mn_raise(&ValueErrorType, "can't have text and binary mode at once");
    if (creating + reading + writing + appending != 1)
        return mn_raise(&ValueErrorType, "must have exactly one of create/read/write/append mode");
    Value enc = a[3], errs = a[4], newline = a[5];
    if (binary && enc && enc != mn_None)
        return mn_raise(&ValueErrorType, "binary mode doesn't take an encoding argument");
    if (binary && errs && errs != mn_None)
        return mn_raise(&ValueErrorType, "binary mode doesn't take an errors argument");
    if (binary && newline && newline != mn_None)
        return mn_raise(&ValueErrorType, "binary mode doesn't take a newline argument");
    if (!binary && buffering == 0)
        return mn_raise(&ValueErrorType, "can't have unbuffered text I/O");
    const char *nl = NULL;
    uint8_t nlmode = binary ? NL_LF : NL_TRANSLATE;
    if (newline && newline != mn_None) {
        if (!mn_is_str(newline))
            return mn_raise(&TypeErrorType, "open() argument 'newline' must be str or None, not %s",
                            mn_type_name(newline));
        const char *s = mn_cstr(newline);
        if (!strcmp(s, ""))
            nlmode = NL_UNIVERSAL;
        else if (!strcmp(s, "\n"))
            nlmode = NL_LF;
        else if (!strcmp(s, "\r"))
            nlmode = NL_CR;
        else if (!strcmp(s, "\r\n"))
            nlmode = NL_CRLF;
        else {
            Value r = mn_repr(newline);
            return r ? mn_raise(&ValueErrorType, "illegal newline value: %s", mn_cstr(r)) : MN_ERR;
        }
        if (nlmode == NL_CR || nlmode == NL_CRLF)
            nl = gc_strdup(s);      /* "\n" is written as this */
    }
    uint8_t encoding = ENC_UTF8;
    if (!binary && parse_encoding(enc, &encoding) < 0)
        return MN_ERR;
    if (errs && errs != mn_None && !mn_is_str(errs))
        return mn_raise(&TypeErrorType, "open() argument 'errors' must be str or None, not %s",
                        mn_type_name(errs));

    int flags = O_CLOEXEC;
    if (updating)
        flags |= O_RDWR;
    else if (reading)
        flags |= O_RDONLY;
    else
        flags |= O_WRONLY;
    if (writing)
        flags |= O_CREAT | O_TRUNC;
    if (appending)
        flags |= O_CREAT | O_APPEND;
    if (creating)
        flags |= O_CREAT | O_EXCL;

    int fd;
    if (mn_is_intlike(file)) {
        int64_t v;
        if (mn_as_i64(file, &v) < 0)
            return MN_ERR;
        if (v < 0)
            return mn_raise(&ValueErrorType, "negative file descriptor");
        fd = (int)v;
        struct stat st;
        if (fstat(fd, &st) < 0)
            return raise_errno(errno, 0);
    } else {
        if (!mn_is_str(file)) {
            if (mn_isinstance_t(file, &BytesType))
                file = mn_str_decode_utf8((const char *)AS(BytesObject, file)->data,
                                          (size_t)AS(BytesObject, file)->len, "strict");
            else
                return mn_raise(&TypeErrorType, "expected str, bytes or os.PathLike object, not %s",
                                mn_type_name(file));
            if (!file)
                return MN_ERR;
        }
        if (!closefd)
            return mn_raise(&ValueErrorType, "Cannot use closefd=False with file name");
        if (strlen(mn_cstr(file)) != (size_t)mn_str_len(file))
            return mn_raise(&ValueErrorType, "embedded null byte");
        /* open(2) may block (a FIFO waits for its other end): it runs with
         * the GIL released, on a private copy of the path. */
        const char *path = gc_strdup(mn_cstr(file));
        for (int attempt = 0;; attempt++) {
            ThreadState *ts = blocking_begin();
            fd = open(path, flags, 0666);
            blocking_end(ts);
            if (fd >= 0)
                break;
            if (errno == EINTR) {
                if (mn_signal_pending() && main_thread()) {
                    if (mn_eval_breaker_slow(mn_ts()) < 0)
                        return MN_ERR;
                }
                continue;
            }
            if ((errno == EMFILE || errno == ENFILE) && attempt == 0) {
                /* Unreferenced files close in finalizers: collect and retry. */
                GC_gcollect();
                GC_invoke_finalizers();
                continue;
            }
            return raise_errno(errno, file);
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            close(fd);
            return raise_errno(EISDIR, file);
        }
    }

    Type *t;
    if (!binary)
        t = &TextIOWrapperType;
    else if (buffering == 0)
        t = &FileIOType;
    else if (updating)
        t = &BufferedRandomType;
    else if (reading)
        t = &BufferedReaderType;
    else
        t = &BufferedWriterType;
    FileObject *f = file_alloc(t);
    f->fd = fd;
    f->name = file;
    f->readable = reading || updating;
    f->writable = writing || appending || creating || updating;
    f->appending = appending;
    f->binary = binary;
    f->closefd = closefd;
    f->nlmode = nlmode;
    f->wnl = nl;
    f->enc = encoding;
    f->unbuffered = binary && buffering == 0;
    f->line_buffered = !binary && buffering == 1;
    if (!binary) {
        f->mode = modev;
        f->encoding = enc && enc != mn_None ? enc : mn_str("UTF-8");
        f->errors = errs && errs != mn_None ? errs : mn_str("strict");
    } else {
        /* FileIO's normalised mode: "rb", "wb", "ab", "xb", with "+". */
        char m[4] = {creating ? 'x' : reading ? 'r' : writing ? 'w' : 'a', 'b', 0, 0};
        if (updating)
            m[2] = '+';
        f->mode = mn_str(m);
    }
    if (appending)
        lseek(fd, 0, SEEK_END);
    if (closefd || f->writable)
        GC_register_finalizer_no_order(f, file_finalizer, NULL, NULL, NULL);
    if (f->writable)
        reg_add(f);
    return mn_val(f);
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */
/* ------------------------------------------------------------------ */

Value mn_std_file(int which) { return std_files[which]; }

Value mn_sys_stream(int which)
{
    if (mn_sys_dict) {
        static const char *const names[] = {"stdin", "stdout", "stderr"};
        Value v = mn_dict_get_cstr(mn_sys_dict, names[which]);
        if (!v)
            return mn_raise(&RuntimeErrorType, "lost sys.%s", names[which]);
        return v;
    }
    return std_files[which];
}

static Value make_std(int fd, const char *name, bool writable)
{
    FileObject *f = file_alloc(&TextIOWrapperType);
    f->fd = fd;
    f->name = mn_str(name);
    f->mode = mn_str(writable ? "w" : "r");
    f->encoding = mn_str("utf-8");
    f->errors = mn_str(fd == 2 ? "backslashreplace" : "strict");
    f->readable = !writable;
    f->writable = writable;
    f->closefd = true;
    f->nlmode = NL_LF;      /* CPython on POSIX: std streams use newline="\n" */
    f->is_std = true;
    f->enc = ENC_UTF8;
    /* stdout: line-buffered on a terminal, else fully buffered; stderr:
     * always line-buffered (CPython 3.9+). */
    f->line_buffered = fd == 2 || (fd == 1 && isatty(1));
    return mn_val(f);
}

int mn_fileio_init(void)
{
    Value io = mn_intern("_io");
    Type *types[] = {&IOBaseType, &TextIOWrapperType, &BufferedReaderType,
                     &BufferedWriterType, &BufferedRandomType, &FileIOType};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        types[i]->module = io;
        if (mn_type_ready(types[i]) < 0)
            return -1;
    }
    Value ns = mn_dict_new();
    mn_dict_set_cstr(ns, "__module__", mn_str("io"));
    Value uo = mn_class_new(mn_intern("UnsupportedOperation"), &OSErrorType, ns, mn_str("io"));
    if (!uo)
        return -1;
    UnsupportedOperationType = AS(Type, uo);
    std_files[0] = make_std(0, "<stdin>", false);
    std_files[1] = make_std(1, "<stdout>", true);
    std_files[2] = make_std(2, "<stderr>", true);
    return 0;
}
