/* mruby's gems, loaded when a policy first needs one.
 *
 * A policy mostly calls core Ruby and the Cgroup classes, yet defining the
 * ~1100 methods of the 30 gems in Debian's libmruby.a was 45% of the
 * instructions of mcgexec's start-up (scripts/bench.sh).  So the VM starts
 * with mruby's core and mcgexec's API, and the gems load (all of them, in
 * mruby's order) at the first moment the policy could tell they are
 * missing:
 *  - a method or a constant is missing (Kernel#method_missing,
 *    Module#const_missing), or respond_to?, method_defined? or
 *    const_defined? would answer no: the gems load, and the call is made
 *    again;
 *  - a core method that a gem replaces is called in a way that only the
 *    gem's version serves (mcg_gem_overrides below);
 *  - the policy's code names a global variable that a gem defines
 *    ($stdout): checked before the code runs (mcg_gems_scan).
 * So a policy sees what it would have seen with every gem loaded from the
 * start.  tests/unit/test_gems.c holds the two to that: the same methods,
 * constants, ancestors and globals once loaded, and the same answers to
 * probes that each trigger the load a different way.
 *
 * mcgexec's own Ruby library is split the same way: the part every policy
 * needs (src/mrblib/cgroup.rb) loads at start-up, the rest (the `group`
 * form, ENV) when a policy first names what it defines.
 *
 * Deferred code loads in a fresh mruby context, whatever the policy is in
 * the middle of: it runs as it would at start-up, at the top level, and
 * cannot touch the registers of the frame that triggered it.
 */
#include "gems.h"

#include <string.h>

#include <mruby/array.h>
#include <mruby/class.h>
#include <mruby/data.h>
#include <mruby/gc.h>
#include <mruby/irep.h>
#include <mruby/proc.h>
#include <mruby/variable.h>

/* The gems of mruby's default gembox that libmruby.a carries, in the order
 * its mrb_init_mrbgems() calls them (dependencies first), less
 * mruby-socket: a policy configures cgroups and has no use for sockets.
 * The functions are the ones mruby's build generates for every gem. */
#define GEMS(X)                                                                              \
    X(compar_ext) X(enum_ext) X(string_ext) X(numeric_ext) X(array_ext) X(hash_ext)          \
    X(range_ext) X(proc_ext) X(symbol_ext) X(object_ext) X(objectspace) X(fiber)             \
    X(enumerator) X(enum_lazy) X(toplevel_ext) X(kernel_ext) X(class_ext) X(pack)            \
    X(sprintf) X(time) X(struct) X(random) X(io) X(print) X(math) X(complex) X(rational)     \
    X(metaprog) X(method) X(eval)
#define DECLARE(g) void GENERATED_TMP_mrb_mruby_##g##_gem_init(mrb_state *mrb);
#define ENTRY(g) GENERATED_TMP_mrb_mruby_##g##_gem_init,
GEMS(DECLARE)
static void (*const gem_inits[])(mrb_state *) = { GEMS(ENTRY) };

/* The globals the gems define (mruby-io). */
static const char *const gem_globals[] = { "$stdin", "$stdout", "$stderr" };

const struct mcg_override mcg_gem_overrides[] = {
    /* mruby-eval: a string to evaluate; given a block, the core method */
    { "BasicObject", "instance_eval", MCG_OVERRIDE_BLOCK_IS_CORE },
    { "Module", "class_eval", MCG_OVERRIDE_BLOCK_IS_CORE },
    { "Module", "module_eval", MCG_OVERRIDE_BLOCK_IS_CORE },
    /* mruby-complex and mruby-rational: the core division unless the
     * operand is a Rational or a Complex, which only the gems can make */
    { "Integer", "/", MCG_OVERRIDE_SAME_BEFORE },
    { "Float", "/", MCG_OVERRIDE_SAME_BEFORE },
    { "Float", "quo", MCG_OVERRIDE_SAME_BEFORE },
    /* different results (1.quo(0) is Infinity, not ZeroDivisionError) or
     * arguments the core method refuses */
    { "Integer", "quo", MCG_OVERRIDE_LOAD_FIRST },
    { "Array", "index", MCG_OVERRIDE_LOAD_FIRST },
    { "Enumerable", "all?", MCG_OVERRIDE_LOAD_FIRST },
    { "Enumerable", "any?", MCG_OVERRIDE_LOAD_FIRST },
    { "Range", "first", MCG_OVERRIDE_LOAD_FIRST },
    { "Range", "last", MCG_OVERRIDE_LOAD_FIRST },
    { "Kernel", "to_enum", MCG_OVERRIDE_LOAD_FIRST },
    { "Kernel", "`", MCG_OVERRIDE_LOAD_FIRST },
    /* Gem methods that take any arguments: mruby 3.1 drops keyword
     * arguments passed alone on their way to method_missing (p(a: 1)), so
     * these have stand-ins that a call reaches directly. */
    { "Kernel", "p", MCG_OVERRIDE_STUB },
    { "Kernel", "print", MCG_OVERRIDE_STUB },
    { "Kernel", "puts", MCG_OVERRIDE_STUB },
    { "Kernel", "printf", MCG_OVERRIDE_STUB },
    { "Kernel", "format", MCG_OVERRIDE_STUB },
    { "Kernel", "sprintf", MCG_OVERRIDE_STUB },
};
const int mcg_ngem_overrides = sizeof(mcg_gem_overrides) / sizeof(mcg_gem_overrides[0]);

enum hook_kind { HOOK_OVERRIDE, HOOK_NO_ANSWER, HOOK_METHOD_MISSING, HOOK_CONST_MISSING };

/* Core methods that ask whether something exists: a "no" is worth asking
 * again with the gems loaded. */
static const struct { const char *owner, *name; enum hook_kind kind; } hooks[] = {
    { "Kernel", "method_missing", HOOK_METHOD_MISSING },
    { "Module", "const_missing", HOOK_CONST_MISSING },
    { "Kernel", "respond_to?", HOOK_NO_ANSWER },
    { "Module", "method_defined?", HOOK_NO_ANSWER },
    { "Module", "const_defined?", HOOK_NO_ANSWER },
};
#define NHOOKS (sizeof(hooks) / sizeof(hooks[0]))
#define NSAVED (NHOOKS + sizeof(mcg_gem_overrides) / sizeof(mcg_gem_overrides[0]))

struct saved {
    struct RClass *owner;
    mrb_sym mid;
    mrb_method_t orig;   /* the core method, put back before the gems load */
    enum hook_kind kind;
    enum mcg_override_use use;
};

struct gems_state {
    int deferred;        /* gems not loaded yet */
    int loading;         /* deferred code is running: the hooks stand aside */
    const uint8_t *lib;  /* mcgexec's deferred library, until it loads */
    const char *const *lib_names; /* the methods and constants it defines */
    int nsaved;
    struct saved saved[NSAVED];
    void (*on_load)(mrb_state *mrb, const char *why);
};

static void gems_state_free(mrb_state *mrb, void *p)
{
    mrb_free(mrb, p);
}

static const struct mrb_data_type gems_state_type = { "mcgexec gems", gems_state_free };

/* Hidden instance variables of Kernel: the state, and the core methods'
 * procs while the wrappers stand in for them (so the GC keeps them). */
#define STATE_IVAR "mcgexec gems"
#define PROCS_IVAR "mcgexec gems procs"

static struct gems_state *state_of(mrb_state *mrb)
{
    mrb_value v = mrb_iv_get(mrb, mrb_obj_value(mrb->kernel_module),
                             mrb_intern_lit(mrb, STATE_IVAR));
    return mrb_data_p(v) ? DATA_GET_PTR(mrb, v, &gems_state_type, struct gems_state) : NULL;
}

static void init_all(mrb_state *mrb)
{
    for (size_t i = 0; i < sizeof(gem_inits) / sizeof(gem_inits[0]) && !mrb->exc; i++)
        gem_inits[i](mrb);
}

void mcg_gems_load_all(mrb_state *mrb)
{
    init_all(mrb);
}

int mcg_gems_deferred(mrb_state *mrb)
{
    struct gems_state *g = state_of(mrb);
    return g && g->deferred;
}

/* Run `load` in a fresh context (see the top of this file). */
static void in_fresh_context(mrb_state *mrb, struct gems_state *g,
                             void (*load)(mrb_state *mrb, struct gems_state *g))
{
    struct mrb_context *caller = mrb->c;
    struct mrb_context *fresh = mrb_malloc(mrb, sizeof(*fresh));
    memset(fresh, 0, sizeof(*fresh)); /* mruby sets up its stack on first use */
    mrb->c = fresh;
    g->loading = 1;
    load(mrb, g);
    g->loading = 0;
    mrb->c = caller;
    mrb_free_context(mrb, fresh);
}

static void load_lib(mrb_state *mrb, struct gems_state *g)
{
    const uint8_t *lib = g->lib;
    g->lib = NULL;
    mrb_load_irep(mrb, lib);
}

static void load_gems(mrb_state *mrb, struct gems_state *g)
{
    (void)g;
    init_all(mrb);
}

/* Does mcgexec's deferred library define `name`?  Then load it; 1 if so. */
static int load_lib_for(mrb_state *mrb, struct gems_state *g, mrb_sym name)
{
    const char *n = mrb_sym_name(mrb, name);
    for (const char *const *l = g && g->lib ? g->lib_names : NULL; l && *l; l++)
        if (strcmp(*l, n) == 0) {
            in_fresh_context(mrb, g, load_lib);
            return 1;
        }
    return 0;
}

int mcg_gems_load(mrb_state *mrb, const char *why)
{
    struct gems_state *g = state_of(mrb);

    if (!g || !g->deferred || g->loading)
        return 0;
    if (g->lib)
        in_fresh_context(mrb, g, load_lib);
    g->deferred = 0;
    if (g->on_load)
        g->on_load(mrb, why);
    /* The core methods go back first, so that a gem replaces them as it
     * would have at start-up. */
    for (int i = 0; i < g->nsaved; i++)
        if (g->saved[i].use != MCG_OVERRIDE_STUB) /* the gem's method replaces a stub */
            mrb_define_method_raw(mrb, g->saved[i].owner, g->saved[i].mid, g->saved[i].orig);
    mrb_iv_remove(mrb, mrb_obj_value(mrb->kernel_module), mrb_intern_lit(mrb, PROCS_IVAR));
    in_fresh_context(mrb, g, load_gems);
    return 1;
}

static const struct saved *saved_for(mrb_state *mrb, mrb_value self)
{
    struct gems_state *g = state_of(mrb);
    mrb_sym mid = mrb_get_mid(mrb);

    for (int i = 0; g && i < g->nsaved; i++)
        if (g->saved[i].mid == mid && mrb_obj_is_kind_of(mrb, self, g->saved[i].owner))
            return &g->saved[i];
    /* an alias made of a hooked method before the gems loaded */
    mrb_raisef(mrb, E_NOTIMP_ERROR, "%n: a copy of a core method taken before mruby's gems "
               "loaded; call the method by its own name", mid);
    return NULL; /* not reached */
}

/* The core method (a C function, for every hook that calls it), on the
 * arguments of the call in progress. */
static mrb_value call_orig(mrb_state *mrb, mrb_value self, const struct saved *s)
{
    return MRB_METHOD_FUNC(s->orig)(mrb, self);
}

/* The call in progress made again, as `name` (for method_missing, whose
 * first argument is the name), now that deferred code has loaded.  In Ruby
 * (Mcgexec.__call_again, src/mrblib/cgroup.rb): keyword arguments cannot
 * be passed on from C. */
static mrb_value call_again(mrb_state *mrb, mrb_value self, mrb_sym name, int missing)
{
    const mrb_value *argv;
    mrb_int argc;
    mrb_value blk, kw = mrb_nil_value();
    mrb_kwargs k = { 0, 0, NULL, NULL, &kw };
    mrb_sym unused;

    if (missing)
        mrb_get_args(mrb, "n*:&", &unused, &argv, &argc, &k, &blk);
    else
        mrb_get_args(mrb, "*:&", &argv, &argc, &k, &blk);
    mrb_value a[] = { self, mrb_symbol_value(name), mrb_ary_new_from_values(mrb, argc, argv), kw,
                      blk };
    return mrb_funcall_argv(mrb, mrb_obj_value(mrb_module_get(mrb, "Mcgexec")),
                            mrb_intern_lit(mrb, "__call_again"), 5, a);
}

/* The question's argument: respond_to?(:group), const_defined?(:ENV). */
static mrb_sym asked_about(mrb_state *mrb)
{
    mrb_value arg = mrb_get_argc(mrb) > 0 ? mrb_get_argv(mrb)[0] : mrb_nil_value();
    if (mrb_symbol_p(arg))
        return mrb_symbol(arg);
    if (mrb_string_p(arg))
        return mrb_intern_str(mrb, arg);
    return 0;
}

static mrb_value gem_hook(mrb_state *mrb, mrb_value self)
{
    const struct saved *s = saved_for(mrb, self);
    struct gems_state *g = state_of(mrb);
    char why[128];

    if (g->loading) /* deferred code asks what exists before it loads */
        return s->kind == HOOK_OVERRIDE ? call_again(mrb, self, s->mid, 0)
                                        : call_orig(mrb, self, s);
    switch (s->kind) {
    case HOOK_OVERRIDE:
        if (s->use == MCG_OVERRIDE_BLOCK_IS_CORE && mrb_get_argc(mrb) == 0 &&
            mrb_block_given_p(mrb))
            return call_orig(mrb, self, s);
        snprintf(why, sizeof(why), "method '%s'%s", mrb_sym_name(mrb, s->mid),
                 s->use == MCG_OVERRIDE_STUB ? "" : " with arguments only a gem takes");
        mcg_gems_load(mrb, why);
        return call_again(mrb, self, s->mid, 0);
    case HOOK_NO_ANSWER: {
        mrb_value v = call_orig(mrb, self, s);
        if (mrb_test(v))
            return v;
        mrb_sym about = asked_about(mrb);
        if (about && load_lib_for(mrb, g, about) && mrb_test(v = call_orig(mrb, self, s)))
            return v;
        /* "respond_to?(:ljust)": the question that loads the gems */
        if (about)
            snprintf(why, sizeof(why), "%s(:%s)", mrb_sym_name(mrb, s->mid),
                     mrb_sym_name(mrb, about));
        else
            snprintf(why, sizeof(why), "%s", mrb_sym_name(mrb, s->mid));
        return mcg_gems_load(mrb, why) ? call_orig(mrb, self, s) : v;
    }
    case HOOK_METHOD_MISSING: {
        mrb_value first = mrb_get_argc(mrb) > 0 ? mrb_get_argv(mrb)[0] : mrb_nil_value();
        if (!mrb_symbol_p(first))
            return call_orig(mrb, self, s);
        mrb_sym name = mrb_symbol(first);
        /* mruby 3.1 loses keyword arguments passed alone on the way here:
         * its method_missing gets the argument array in their place */
        const mrb_callinfo *ci = mrb->c->ci;
        int lost_keywords = ci->n == 15 && ci->nk == 15 && mrb_obj_eq(mrb, ci->stack[1], ci->stack[2]);
        snprintf(why, sizeof(why), "method '%s'", mrb_sym_name(mrb, name));
        if (lost_keywords && (load_lib_for(mrb, g, name) || mcg_gems_load(mrb, why)) &&
            mrb_obj_respond_to(mrb, mrb_class(mrb, self), name))
            mrb_raisef(mrb, E_ARGUMENT_ERROR, "%n(key: value) as the first use of %n: mruby 3.1 "
                       "drops keyword arguments passed alone to a method it has not loaded yet; "
                       "pass a Hash (%n({key: value})) or call another method of it first",
                       name, name, name);
        if (load_lib_for(mrb, g, name) && mrb_obj_respond_to(mrb, mrb_class(mrb, self), name))
            return call_again(mrb, self, name, 1);
        if (mcg_gems_load(mrb, why) && mrb_obj_respond_to(mrb, mrb_class(mrb, self), name))
            return call_again(mrb, self, name, 1);
        return call_orig(mrb, self, s); /* raises NoMethodError */
    }
    case HOOK_CONST_MISSING: {
        mrb_sym name;
        mrb_get_args(mrb, "n", &name);
        snprintf(why, sizeof(why), "constant %s", mrb_sym_name(mrb, name));
        if (load_lib_for(mrb, g, name) || mcg_gems_load(mrb, why))
            return mrb_const_get(mrb, self, name); /* the core const_missing if still missing */
        return call_orig(mrb, self, s);
    }
    }
    return mrb_nil_value();
}

/* Stand in for `owner#name`, keeping the core method to put back. */
static void hook(mrb_state *mrb, struct gems_state *g, mrb_value procs, const char *owner,
                 const char *name, enum hook_kind kind, enum mcg_override_use use)
{
    struct RClass *c = mrb_class_ptr(mrb_const_get(mrb, mrb_obj_value(mrb->object_class),
                                                   mrb_intern_cstr(mrb, owner)));
    struct RClass *found = c;
    mrb_sym mid = mrb_intern_cstr(mrb, name);
    mrb_method_t m = mrb_method_search_vm(mrb, &found, mid);

    /* tests/unit/test_gems.c checks that every hook has a core method
     * behind it, in that class or module itself, and a C function where
     * the hook calls it */
    int calls_orig = kind != HOOK_OVERRIDE || use == MCG_OVERRIDE_BLOCK_IS_CORE;
    if (use == MCG_OVERRIDE_STUB ? !MRB_METHOD_UNDEF_P(m)
                                 : MRB_METHOD_UNDEF_P(m) || found != c ||
                                       (calls_orig && !MRB_METHOD_FUNC_P(m)))
        return;
    if (MRB_METHOD_PROC_P(m))
        mrb_ary_push(mrb, procs, mrb_obj_value(MRB_METHOD_PROC(m)));
    g->saved[g->nsaved++] = (struct saved){ c, mid, m, kind, use };
    mrb_define_method_id(mrb, c, mid, gem_hook, MRB_ARGS_ANY());
}

void mcg_gems_defer(mrb_state *mrb, void (*on_load)(mrb_state *mrb, const char *why),
                    const uint8_t *lib, const char *const *lib_names)
{
    struct gems_state *g = mrb_malloc(mrb, sizeof(*g));
    memset(g, 0, sizeof(*g));
    g->on_load = on_load;
    g->lib = lib;
    g->lib_names = lib_names;
    mrb_value holder = mrb_obj_value(mrb_data_object_alloc(mrb, mrb->object_class, g,
                                                           &gems_state_type));
    mrb_iv_set(mrb, mrb_obj_value(mrb->kernel_module), mrb_intern_lit(mrb, STATE_IVAR), holder);
    mrb_value procs = mrb_ary_new(mrb);
    mrb_iv_set(mrb, mrb_obj_value(mrb->kernel_module), mrb_intern_lit(mrb, PROCS_IVAR), procs);

    for (size_t i = 0; i < NHOOKS; i++)
        hook(mrb, g, procs, hooks[i].owner, hooks[i].name, hooks[i].kind, 0);
    for (int i = 0; i < mcg_ngem_overrides; i++)
        if (mcg_gem_overrides[i].use != MCG_OVERRIDE_SAME_BEFORE)
            hook(mrb, g, procs, mcg_gem_overrides[i].owner, mcg_gem_overrides[i].name,
                 HOOK_OVERRIDE, mcg_gem_overrides[i].use);
    /* mruby-symbol-ext makes Symbol Comparable (on the core's Symbol#<=>):
     * done now, so that Symbol's ancestors never change. */
    mrb_include_module(mrb, mrb->symbol_class, mrb_module_get(mrb, "Comparable"));
    g->deferred = 1;
}

static int names_gem_global(mrb_state *mrb, const mrb_irep *irep, const mrb_sym *globals)
{
    for (int i = 0; i < irep->slen; i++)
        for (size_t j = 0; j < sizeof(gem_globals) / sizeof(gem_globals[0]); j++)
            if (irep->syms[i] == globals[j])
                return 1;
    for (int i = 0; i < irep->rlen; i++)
        if (names_gem_global(mrb, irep->reps[i], globals))
            return 1;
    return 0;
}

void mcg_gems_scan(mrb_state *mrb, const struct RProc *proc)
{
    struct gems_state *g = state_of(mrb);
    mrb_sym globals[sizeof(gem_globals) / sizeof(gem_globals[0])];

    if (!g || !g->deferred || !proc || MRB_PROC_CFUNC_P(proc))
        return;
    for (size_t j = 0; j < sizeof(gem_globals) / sizeof(gem_globals[0]); j++)
        globals[j] = mrb_intern_cstr(mrb, gem_globals[j]);
    if (names_gem_global(mrb, proc->body.irep, globals))
        mcg_gems_load(mrb, "a global variable of mruby-io");
}
