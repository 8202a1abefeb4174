/*
 * objmodel.h -- internals shared by the object-model files only
 * (object.c, type.c, abstract.c, method.c, module.c, exception.c,
 * init.c).  Everything other subsystems may use is in object.h.
 *
 * Prefix om_: object-model private, not part of the runtime API.
 */
#ifndef MN_OBJMODEL_H
#define MN_OBJMODEL_H

#include "object.h"

/* ------------------------------------------------------------------ */
/* Slot wrappers                                                       */
/* ------------------------------------------------------------------ */

/*
 * Every special-method name that maps onto a Type slot is described by a
 * row of one table (type.c).  The table drives three things:
 *   - mn_type_ready puts a WrapperDescr in a builtin type's dict for each
 *     slot the type defines (so `int.__add__`, `object.__init__`,
 *     `super().__len__()` exist);
 *   - mn_class_new / setting a dunder on a class decides which slots of a
 *     user class point at the generic slot_* functions;
 *   - a WrapperDescr call unpacks its arguments by `kind`.
 */
typedef enum {
    WK_REPR, WK_STR, WK_HASH, WK_RICHCMP, WK_BOOL, WK_CALL,
    WK_GETATTRO, WK_SETATTR, WK_DELATTR, WK_ITER, WK_NEXT, WK_LEN,
    WK_GETITEM, WK_SETITEM, WK_DELITEM, WK_CONTAINS,
    WK_BINOP, WK_RBINOP, WK_INPLACE, WK_UNOP,
    WK_GET, WK_SET, WK_DELETE, WK_INIT,
    WK_NONE,            /* no wrapper (__getattr__, __new__) */
} WrapKind;

/* The slot groups of a Type, for class creation and slot updates. */
typedef enum {
    SG_REPR, SG_STR, SG_HASH, SG_RICHCMP, SG_BOOL, SG_CALL, SG_GETATTR,
    SG_SETATTR, SG_ITER, SG_NEXT, SG_LEN, SG_GETITEM, SG_SETITEM,
    SG_CONTAINS, SG_BINOP, SG_INPLACE, SG_UNOP, SG_DESCR_GET, SG_DESCR_SET,
    SG_INIT, SG_NEW,
    SG__COUNT
} SlotGroup;

typedef struct {
    const char *name;       /* "__add__" */
    WrapKind kind;
    int op;                 /* BinOp / CmpOp / UnOp where relevant */
    SlotGroup group;
} SlotName;

/* The table (type.c) and the interned names, index-parallel. */
extern const SlotName om_slotnames[];
extern const int om_nslotnames;
extern Value om_slotname_ids[];
/* Interned extras that are not in mn_id. */
extern Value om_id_getattribute, om_id_delete, om_id_class_getitem, om_id_notes,
    om_id_qualname;

/* A slot wrapper: the C slot `kind` (and op) of the builtin type owner. */
typedef struct {
    Object hdr;
    Type *owner;
    Value name;             /* interned dunder name */
    uint8_t kind;
    uint8_t op;
} WrapperDescrObject;

Value om_wrapper_new(Type *owner, int index);   /* index into om_slotnames */
/* Call a wrapper with self = args[0] (checked) and the rest. */
Value om_wrapper_call(Value w, Value *args, int nargs, Value kwargs);

/* __slots__ entry: a Value stored at `offset` in instances of `owner`.
 * none_if_unset: reading an unset slot gives None instead of
 * AttributeError (exception attributes such as StopIteration.value). */
typedef struct {
    Object hdr;
    Value name;
    size_t offset;
    Type *owner;
    bool none_if_unset;
    bool readonly;
} MemberDescrObject;
Value om_member_new(Type *owner, const char *name, size_t offset,
                    bool none_if_unset);

typedef struct { Object hdr; GetSetDef *def; Type *owner; } GetSetDescrObject;
typedef struct { Object hdr; Value func; Value dict; } ClassMethodObject;
typedef struct { Object hdr; Value func; Value dict; } StaticMethodObject;
typedef struct {
    Object hdr;
    Value fget, fset, fdel, doc;    /* None when absent */
    Value name;                     /* from __set_name__, or 0 */
} PropertyObject;

Value om_classmethod_new(Value func);
Value om_staticmethod_new(Value func);

/* ------------------------------------------------------------------ */
/* object / type internals                                             */
/* ------------------------------------------------------------------ */

Value om_object_new(Type *t, Value *args, int nargs, Value kwargs);
int om_object_init(Value self, Value *args, int nargs, Value kwargs);
/* __new__ of a builtin type, as stored in its dict: a native function
 * whose self is the type. */
Value om_tp_new_wrapper(Value *args, int nargs, Value kwargs);

/* Where an instance keeps its dict pointer (t->dictoffset != 0). */
static inline Value *om_dict_ptr(Value obj, Type *t)
{
    return (Value *)((char *)obj + t->dictoffset);
}
/* __dict__ (and __weakref__) getset entries for types whose instances
 * have a dict; om_add_dict_descriptors puts them in a type's dict. */
extern GetSetDef om_dict_getset[];
void om_add_dict_descriptors(Type *t, bool weakref);

/* The instance dict, creating it when `create` (0 if none). */
Value om_instance_dict(Value obj, bool create);

/* Generic attribute lookup; with suppress, a plain miss returns 0 without
 * raising (errors from descriptors still raise). */
Value om_generic_getattr(Value obj, Value name, bool suppress);
/* The AttributeError for a missing attribute, with CPython's wording for
 * instances, types and modules. */
Value om_attr_error(Value obj, Value name);

/* Call f as an unbound method: functions, method descriptors and slot
 * wrappers get self prepended; other descriptors are bound first. */
Value om_call_unbound(Value f, Value self, Value *args, int nargs, Value kwargs);
/* Is f something mn_lookup_method may return unbound with self? */
bool om_is_plain_method(Value f);

bool om_is_heap_defined(Type *t, Value name);
/* Recompute the slots of a heap type (and its subclasses). */
void om_fixup_slots(Type *t);
/* __module__ and __qualname__ as C strings ("builtins" for builtins). */
const char *om_type_module(Type *t);
const char *om_type_qualname(Type *t);
/* "mod.Qual" unless the module is builtins (or __main__ if main_too). */
Value om_type_fullname(Type *t, bool skip_main);

/* Attribute lookup on a type object that returns 0 on a plain miss. */
Value om_type_getattr_opt(Value self, Value name);
/* list[int] / int | None objects (type.c). */
Value om_alias_new(Value origin, Value args);
Value om_union_args(Value v);           /* members of a union, else 0 */
bool om_is_generic_alias(Value v);      /* list[int] (not a union) */

/* Super objects. */
typedef struct { Object hdr; Type *type; Value obj; Type *obj_type; } SuperObject;
Value om_super_lookup(SuperObject *s, Value name, bool *found);

/* args with `first` prepended, in `buf` (>= nargs+1 slots) or on the heap */
Value *om_prepend(Value first, Value *args, int nargs, Value *buf, int bufn);

/* Exceptions */
void om_set_exc(Value exc);
Value om_exc_new_v(Type *t, Value *args, int nargs);

/* Object-model locking for readying types (recursive). */
void om_ready_lock(void);
void om_ready_unlock(void);

#endif
