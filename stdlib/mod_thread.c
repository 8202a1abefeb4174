/*
 * mod_thread.c -- the `_thread` module: starting threads, thread-local
 * data, identities, and the module table.  The waitable types (lock,
 * RLock, Condition, Semaphore, Event, _ThreadHandle) and the deadlock
 * detector live in thread_sync.c; `threading` (stdlib/threading.mini) is
 * written in mini on top of both, as CPython's threading.py sits on
 * _thread.
 *
 * A new thread is a detached POSIX thread created through the collector's
 * pthread_create wrapper (GC_THREADS redirects it), so the collector scans
 * its stack.  Its ThreadRec is created and counted live by the STARTING
 * thread, before pthread_create, so the deadlock detector never mistakes
 * a thread that has not run yet for a dead one.  In the new thread:
 * mn_tstate_new, bind the record, attach to the GIL, call the function;
 * an exception escaping it is reported the way CPython's _thread does
 * ("Exception ignored in thread started by: <function ...>") -- threading
 * catches exceptions itself and prints "Exception in thread NAME:".  Then
 * the record leaves the live set (waking joiners), the GIL is given up and
 * the thread state deleted.
 *
 * _thread._local keeps one attribute dict per thread.  The dicts live in
 * the THREAD's record (local_dicts: id(local) -> (local, dict)), so they
 * die with the thread; attribute access looks the current thread's dict
 * up there.  A subclass whose __init__ takes arguments gets __init__ run
 * again, with the constructor's arguments, the first time each other
 * thread touches the object -- CPython's behaviour.
 */
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include <gc/gc.h>

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../vm/eval.h"
#include "../vm/gil.h"
#include "../vm/run.h"
#include "mn_stdlib.h"
#include "mn_thread.h"

static size_t thread_stack_size;    /* 0 = the system default */

/* ------------------------------------------------------------------ */
/* Starting threads                                                    */
/* ------------------------------------------------------------------ */

/* An exception escaped a thread started with start_new_thread. */
static void report_thread_exception(Value func)
{
    Value exc = mn_exc_fetch();
    if (!exc || mn_isinstance_t(exc, &SystemExitType))
        return;
    Value fr = mn_repr(func);
    if (!fr)
        mn_exc_clear();
    mn_flush_std_streams();
    fprintf(stderr, "Exception ignored in thread started by: %s\n",
            fr ? mn_cstr(fr) : "<object>");
    mn_print_exception(exc, stderr);
    fflush(stderr);
}

static void *thread_main(void *p)
{
    MnThreadRec *rec = p;
    ThreadState *ts = mn_tstate_new(&mn_interp);
    mn_thread_rec_bind(rec, ts);
    if (rec->handle)
        mn_thread_handle_set_ident(rec->handle, ts->ident);
    /* Strings are immutable: reading one before attaching is safe. */
    gil_set_thread_name(ts, rec->name ? mn_cstr(rec->name) : "Dummy");
    gil_thread_attach(ts);
    ts->name = rec->name;

    Value args = rec->args;
    Value r = mn_call(rec->func, args ? mn_tuple_items(args) : NULL,
                      args ? (int)mn_tuple_len(args) : 0, rec->kwargs);
    if (!r)
        report_thread_exception(rec->func);
    rec->func = rec->args = rec->kwargs = 0;

    mn_thread_rec_exit(rec);
    gil_thread_detach(ts);
    mn_tstate_delete(ts);
    mn_thread_rec_free(rec);
    return NULL;
}

/* Start func(*args, **kwargs) in a new thread; its ident, or 0 after
 * raising. */
static uint64_t start_thread(Value func, Value args, Value kwargs, Value handle, Value name)
{
    mn_thread_me();     /* the starter is counted live from now on */
    MnThreadRec *rec = mn_thread_rec_new();
    rec->func = func;
    rec->args = args;
    rec->kwargs = kwargs;
    rec->handle = handle;
    rec->name = name;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (thread_stack_size)
        pthread_attr_setstacksize(&attr, thread_stack_size);
    pthread_t th;
    int e = pthread_create(&th, &attr, thread_main, rec);
    pthread_attr_destroy(&attr);
    if (e) {
        mn_thread_rec_abandon(rec);
        mn_raise(&RuntimeErrorType, "can't start new thread");
        return 0;
    }
    if (handle)
        mn_thread_handle_set_ident(handle, (uint64_t)th);
    return (uint64_t)th;
}

static Value t_start_new_thread(Value *args, int nargs, Value kwargs)
{
    if (kwargs && mn_dict_len(kwargs))
        return mn_raise(&TypeErrorType, "start_new_thread() takes no keyword arguments");
    if (nargs < 2)
        return mn_raise(&TypeErrorType, "start_new_thread expected at least 2 arguments, got %d",
                        nargs);
    if (nargs > 3)
        return mn_raise(&TypeErrorType, "start_new_thread expected at most 3 arguments, got %d",
                        nargs);
    if (!mn_is_callable(args[0]))
        return mn_raise(&TypeErrorType, "first arg must be callable");
    if (!mn_is_tuple(args[1]))
        return mn_raise(&TypeErrorType, "2nd arg must be a tuple");
    Value kw = 0;
    if (nargs == 3) {
        if (!mn_is_dict(args[2]))
            return mn_raise(&TypeErrorType, "optional 3rd arg must be a dictionary");
        kw = mn_dict_copy(args[2]);
    }
    uint64_t id = start_thread(args[0], args[1], kw, 0, 0);
    return id ? mn_int_from_i64((int64_t)id) : MN_ERR;
}

/* _start_joinable_thread(function, name=None) -> _ThreadHandle: what
 * threading.Thread.start uses.  The function is called with no
 * arguments; join() on the handle returns once it has returned. */
static Value t_start_joinable(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("_start_joinable_thread", args, nargs, kwargs, "function|name", a) < 0)
        return MN_ERR;
    if (!mn_is_callable(a[0]))
        return mn_raise(&TypeErrorType, "thread function must be callable");
    Value name = a[1] && mn_is_str(a[1]) ? a[1] : 0;
    Value h = mn_thread_handle_new();
    if (!start_thread(a[0], mn_empty_tuple, 0, h, name))
        return MN_ERR;
    return h;
}

/* ------------------------------------------------------------------ */
/* Module functions                                                    */
/* ------------------------------------------------------------------ */

static Value t_allocate_lock(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("allocate_lock", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_lock_new();
}

static Value t_get_ident(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("get_ident", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    ThreadState *ts = mn_ts();
    return mn_int_from_i64((int64_t)(ts ? ts->ident : (uint64_t)pthread_self()));
}

static Value t_get_native_id(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("get_native_id", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    ThreadState *ts = mn_ts();
    return mn_int_from_i64(ts ? ts->native_id : 0);
}

static Value t_count(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("_count", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_int(mn_thread_count());
}

static Value t_exit(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("exit", nargs, kwargs, 0, 0) < 0)
        return MN_ERR;
    return mn_raise_exc(mn_val(&SystemExitType));
}

static Value t_interrupt_main(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t sig = SIGINT;
    if (mn_argparse("interrupt_main", args, nargs, kwargs, "|signum", a) < 0 ||
        (a[0] && mn_as_i64(a[0], &sig) < 0))
        return MN_ERR;
    if (sig != SIGINT)
        return mn_raise(&ValueErrorType, "signal number out of range");
    /* As in CPython, no real signal is sent: the main thread raises
     * KeyboardInterrupt at its next eval-breaker check, and mini's own
     * waits (locks, conditions, events, join) notice it at once. */
    mn_signal_interrupt();
    return mn_None;
}

static Value t_stack_size(Value *args, int nargs, Value kwargs)
{
    Value a[1];
    int64_t n = 0;
    if (mn_argparse("stack_size", args, nargs, kwargs, "|size", a) < 0 ||
        (a[0] && mn_as_i64(a[0], &n) < 0))
        return MN_ERR;
    size_t old = thread_stack_size;
    if (!a[0])
        return mn_int((intptr_t)old);
    if (n != 0 && n < 32768)
        return mn_raise(&ValueErrorType, "size not valid: %" PRId64 " bytes", n);
    if (n < 0)
        return mn_raise(&ValueErrorType, "size must be 0 or a positive value");
    thread_stack_size = (size_t)n;
    return mn_int((intptr_t)old);
}

/* _set_thread_name(name, ident=None): the name the deadlock report and
 * --gil-stats show (threading keeps it in step with Thread.name). */
static Value t_set_thread_name(Value *args, int nargs, Value kwargs)
{
    Value a[2];
    if (mn_argparse("_set_thread_name", args, nargs, kwargs, "name|ident", a) < 0)
        return MN_ERR;
    if (!mn_is_str(a[0]))
        return mn_raise(&TypeErrorType, "thread name must be str, not %s", mn_type_name(a[0]));
    int64_t ident;
    if (a[1] && a[1] != mn_None) {
        if (mn_as_i64(a[1], &ident) < 0)
            return MN_ERR;
    } else {
        mn_thread_me();
        ident = (int64_t)mn_ts()->ident;
    }
    return mn_bool(mn_thread_set_name((uint64_t)ident, a[0]));
}

/* _excepthook(args): threading.excepthook's default, CPython's output:
 * "Exception in thread NAME:" and the traceback on stderr; SystemExit is
 * silently ignored. */
static Value t_excepthook(Value *args, int nargs, Value kwargs)
{
    if (mn_argcheck("_excepthook", nargs, kwargs, 1, 1) < 0)
        return MN_ERR;
    Value a = args[0];
    Value et = mn_getattr_s(a, "exc_type");
    Value ev = et ? mn_getattr_s(a, "exc_value") : 0;
    Value th = ev ? mn_getattr_s(a, "thread") : 0;
    if (!th)
        return MN_ERR;
    if (et == mn_val(&SystemExitType))
        return mn_None;
    if (mn_is_obj(et) && mn_typeof(et) == &TypeType && mn_is_subtype(AS(Type, et), &SystemExitType))
        return mn_None;
    Value name;
    if (th != mn_None) {
        name = mn_getattr_s(th, "name");
        if (!name)
            return MN_ERR;
        name = mn_to_str(name);
    } else {
        name = mn_str_fmt("%" PRIu64, mn_ts()->ident);
    }
    if (!name)
        return MN_ERR;
    mn_flush_std_streams();
    fprintf(stderr, "Exception in thread %s:\n", mn_cstr(name));
    if (ev != mn_None && mn_isinstance_t(ev, &BaseExceptionType)) {
        mn_print_exception(ev, stderr);
    } else {
        Value s = mn_repr(ev);
        fprintf(stderr, "%s\n", s ? mn_cstr(s) : "?");
        if (!s)
            mn_exc_clear();
    }
    fflush(stderr);
    return mn_None;
}

/* ------------------------------------------------------------------ */
/* _thread._local                                                      */
/* ------------------------------------------------------------------ */

typedef struct {
    Object hdr;
    Value args;             /* constructor arguments, re-used per thread */
    Value kwargs;           /* dict or 0 */
} LocalObject;

static Type LocalType;

/* The calling thread's attribute dict for `self`, created on first use
 * (running a subclass's __init__ with the constructor's arguments when
 * run_init is set). */
static Value local_dict(Value self, bool run_init)
{
    MnThreadRec *me = mn_thread_me();
    if (!me->local_dicts)
        me->local_dicts = mn_dict_new();
    Value key = mn_int((intptr_t)(self >> 3));
    Value e = mn_dict_get(me->local_dicts, key);
    /* The entry holds the local itself, so its address cannot be reused
     * by another object while the entry exists. */
    if (e && mn_tuple_items(e)[0] == self)
        return mn_tuple_items(e)[1];
    Value d = mn_dict_new();
    if (mn_dict_set(me->local_dicts, key, mn_tuple_pack(2, self, d)) < 0)
        return MN_ERR;
    Type *t = mn_typeof(self);
    if (run_init && t->init && t->init != ObjectType.init) {
        LocalObject *o = AS(LocalObject, self);
        if (t->init(self, mn_tuple_items(o->args), (int)mn_tuple_len(o->args), o->kwargs) < 0) {
            Value exc = mn_exc_fetch();
            if (mn_dict_del(me->local_dicts, key) < 0)
                mn_exc_clear();
            mn_raise_exc(exc);
            return MN_ERR;
        }
    }
    return d;
}

static Value local_new(Type *t, Value *args, int nargs, Value kwargs)
{
    bool has_args = nargs > 0 || (kwargs && mn_dict_len(kwargs));
    if (has_args && (!t->init || t->init == ObjectType.init))
        return mn_raise(&TypeErrorType, "Initialization arguments are not supported");
    LocalObject *o = mn_alloc_obj(t, 0);
    o->args = mn_tuple_from(args, nargs);
    o->kwargs = kwargs && mn_dict_len(kwargs) ? mn_dict_copy(kwargs) : 0;
    /* This thread's dict now: the constructor's own __init__ call fills it. */
    if (!local_dict(mn_val(o), false))
        return MN_ERR;
    return mn_val(o);
}

static const char *local_type_name(Value self)
{
    Type *t = mn_typeof(self);
    return t == &LocalType ? "_thread._local" : t->name;
}

static Value local_getattr(Value self, Value name)
{
    Value d = local_dict(self, true);
    if (!d)
        return MN_ERR;
    if (name == MN_ID(__dict__))
        return d;
    Type *t = mn_typeof(self);
    Value descr = mn_type_lookup(t, name);
    Type *dt = descr ? mn_typeof(descr) : NULL;
    if (dt && dt->descr_get && dt->descr_set)
        return dt->descr_get(descr, self, t);
    Value v = mn_dict_get(d, name);
    if (v || mn_exc_occurred())
        return v;
    if (descr)
        return dt->descr_get ? dt->descr_get(descr, self, t) : descr;
    return mn_raise(&AttributeErrorType, "'%s' object has no attribute '%s'",
                    local_type_name(self), mn_cstr(name));
}

static int local_setattr(Value self, Value name, Value v)
{
    if (name == MN_ID(__dict__))
        return mn_raise_int(&AttributeErrorType, "'%s' object attribute '__dict__' is read-only",
                            local_type_name(self));
    Value d = local_dict(self, true);
    if (!d)
        return -1;
    Type *t = mn_typeof(self);
    Value descr = mn_type_lookup(t, name);
    Type *dt = descr ? mn_typeof(descr) : NULL;
    if (dt && dt->descr_set)
        return dt->descr_set(descr, self, v);
    if (v)
        return mn_dict_set(d, name, v);
    Value cur = mn_dict_get(d, name);
    if (!cur) {
        if (mn_exc_occurred())
            return -1;
        return mn_raise_int(&AttributeErrorType, "'%s' object has no attribute '%s'",
                            local_type_name(self), mn_cstr(name));
    }
    return mn_dict_del(d, name);
}

static Type LocalType = {
    .hdr = {&TypeType},
    .name = "_local",
    .flags = TF_BASETYPE,
    .basicsize = sizeof(LocalObject),
    .new = local_new,
    .getattr = local_getattr,
    .setattr = local_setattr,
};

/* ------------------------------------------------------------------ */
/* The module                                                          */
/* ------------------------------------------------------------------ */

static const MethodDef thread_methods[] = {
    {"start_new_thread", t_start_new_thread, 0, NULL},
    {"start_new", t_start_new_thread, 0, NULL},
    {"_start_joinable_thread", t_start_joinable, 0, NULL},
    {"allocate_lock", t_allocate_lock, 0, NULL},
    {"allocate", t_allocate_lock, 0, NULL},
    {"get_ident", t_get_ident, 0, NULL},
    {"get_native_id", t_get_native_id, 0, NULL},
    {"_count", t_count, 0, NULL},
    {"exit", t_exit, 0, NULL},
    {"exit_thread", t_exit, 0, NULL},
    {"interrupt_main", t_interrupt_main, 0, NULL},
    {"stack_size", t_stack_size, 0, NULL},
    {"_set_thread_name", t_set_thread_name, 0, NULL},
    {"_excepthook", t_excepthook, 0, NULL},
    {NULL, NULL, 0, NULL},
};

Value mn_module_thread_init(void)
{
    if (mn_thread_sync_init() < 0)
        return MN_ERR;
    if (!(LocalType.flags & TF_READY)) {
        LocalType.module = mn_intern("_thread");
        if (mn_type_ready(&LocalType) < 0)
            return MN_ERR;
    }
    /* The importing thread (the main thread) is counted from now on. */
    mn_thread_me();
    ThreadState *ts = mn_ts();
    if (ts && !ts->name && ts == mn_interp.main_thread)
        ts->name = mn_intern("MainThread");

    Value mod = mn_module_new(mn_intern("_thread"));
    mn_module_add_methods(mod, thread_methods);
    mn_module_add(mod, "LockType", mn_val(&MnLockType));
    mn_module_add(mod, "RLock", mn_val(&MnRLockType));
    mn_module_add(mod, "_local", mn_val(&LocalType));
    mn_module_add(mod, "_ThreadHandle", mn_val(&MnThreadHandleType));
    mn_module_add(mod, "_Condition", mn_val(&MnConditionType));
    mn_module_add(mod, "_Semaphore", mn_val(&MnSemaphoreType));
    mn_module_add(mod, "_BoundedSemaphore", mn_val(&MnBoundedSemaphoreType));
    mn_module_add(mod, "_Event", mn_val(&MnEventType));
    mn_module_add(mod, "error", mn_val(&RuntimeErrorType));
    mn_module_add(mod, "TIMEOUT_MAX", mn_float(MN_TIMEOUT_MAX));
    return mod;
}
