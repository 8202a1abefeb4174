/*
 * init.c -- runtime start-up: the order in which the parts of the runtime
 * initialise (see the comment at the end of object.h), the interned names
 * of mn_id, and the final sweep that readies every builtin type.
 */
#include <stdlib.h>

#include "objmodel.h"

struct MnIds mn_id;

/* Every hook is a strong reference: minicore is a static library, and a
 * weak one would let the linker drop a part (stdlib, say) that nothing
 * else in the program happens to reference. */

/* Every type declared in object.h, bases before subclasses where it
 * matters (mn_type_ready readies a base first anyway). */
static Type *const core_types[] = {
    &ObjectType, &TypeType, &NoneType, &NotImplementedType, &EllipsisType,
    &IntType, &BoolType, &FloatType, &StrType, &BytesType, &TupleType, &ListType,
    &DictType, &SetType, &FrozenSetType, &RangeType, &SliceType, &FunctionType,
    &NativeFunctionType, &MethodType, &MethodDescrType, &ClassMethodType,
    &StaticMethodType, &PropertyType, &SuperType, &ModuleType, &CodeType, &CellType,
    &SeqIterType, &GetSetDescrType, &WrapperDescrType, &MemberDescrType,
    &GenericAliasType, &ListIterType, &ListRevIterType, &TupleIterType, &RangeIterType,
    &StrIterType, &BytesIterType, &DictKeysType, &DictValuesType, &DictItemsType,
    &DictIterType, &SetIterType, &EnumerateType, &ZipType, &MapType, &FilterType,
    &ReversedType,
};

static bool started;

int mn_runtime_init(void)
{
    if (started)
        return 0;
    started = true;

    /* 1-2: interning, then the well-known names. */
    mn_init_str();
#define MN_ID_INIT(n) mn_id.n = mn_intern(#n);
    MN_IDS(MN_ID_INIT)
#undef MN_ID_INIT

    /* Layout facts the class machinery needs (see TF_VARSIZE). */
    StrType.flags |= TF_VARSIZE;
    BytesType.flags |= TF_VARSIZE;
    TupleType.flags |= TF_VARSIZE;

    /* 3: each part readies its own types and tables. */
    mn_init_object();
    mn_init_type();
    mn_init_method();
    mn_init_module();
    mn_init_exceptions();
    if (mn_init_containers() < 0)
        return -1;
    mn_init_int();
    mn_init_float();
    mn_init_function();

    /* 4: whatever a hook did not ready. */
    for (size_t i = 0; i < sizeof core_types / sizeof *core_types; i++)
        if (mn_type_ready(core_types[i]) < 0)
            return -1;
    for (Type *const *t = mn_exception_types; *t; t++)
        if (mn_type_ready(*t) < 0)
            return -1;

    /* 5: builtins and the native module registry. */
    mn_init_builtins();
    mn_init_stdlib();
    return 0;
}
