/* Opening the VM with the gems of mruby_config.rb (gems.h).
 *
 * mrb_open() defines every gem before mcgexec reads a policy, and a third
 * of what mcgexec does at start-up is that.  Six gems add only what a
 * policy must name to use: their own classes (Time, Struct, Math, Random,
 * Rational, IO and File), their globals ($stdout), and a few methods of
 * core classes (rand, quo, to_r, shuffle, open, ...).  So mcgexec opens
 * mruby's core (mrb_open_core(), mruby's documented entry without gems),
 * defines the other gems in mruby's own order, compiles the policy, and
 * then, before its first line runs, defines each of the six whose names
 * the compiled code mentions: the symbols of every irep, which is how a
 * constant, a method call, a global or a symbol literal reaches the VM.
 * A policy that could reach a name without spelling it (send, const_get,
 * instance_eval, methods, ...) gets all six.  Nothing is hooked: once the
 * policy runs, the VM is the one mrb_open() would have made, less gems
 * nothing in the policy can reach, so no policy can tell (tests/unit/
 * test_gems.c checks each gem's names against what it defines, and that
 * any subset loaded late equals the same gems loaded in order).
 *
 * A gem defined late is defined where mruby would have defined it: the
 * gems after it in mruby's order are defined again after it (print, whose
 * p and puts replace mruby-io's, and sleep and pack; each only defines
 * methods), so whichever definition mruby's order makes last stays last.
 *
 * Built against another libmruby (-DMCGEXEC_MRUBY=system), mcgexec has no
 * table of its gems and opens the VM with mrb_open(). */
#include "policy/gems.h"

#include <string.h>
#include <mruby/error.h>
#include <mruby/variable.h>

/* The names by which code reaches a method, constant or global it does not
 * spell, or sees which exist: any of them defines every deferred gem. */
static const char *const reach_all[] = {
    "send", "__send__", "public_send", "method", "methods", "public_methods",
    "private_methods", "protected_methods", "singleton_methods", "instance_method",
    "public_instance_method", "instance_methods", "public_instance_methods",
    "private_instance_methods", "protected_instance_methods", "method_defined?",
    "public_method_defined?", "private_method_defined?", "protected_method_defined?",
    "respond_to?", "const_get", "const_defined?", "constants", "instance_eval",
    "instance_exec", "class_eval", "class_exec", "module_eval", "module_exec",
    "global_variables", "all_symbols", NULL,
};

/* Is the symbol name (len bytes, not terminated) one of names? */
static int names_one_of(const char *const *names, const char *name, size_t len)
{
    for (; len && *names; names++)
        if ((*names)[0] == name[0] && strncmp(*names, name, len) == 0 && (*names)[len] == '\0')
            return 1;
    return 0;
}

/* The bits of_name gives the symbols of irep and of the ireps inside it,
 * OR-ed, stopping once all are set (also what an irep nested deeper than
 * the compiler makes, or none, gets). */
static unsigned scan(mrb_state *mrb, const mrb_irep *irep,
                     unsigned (*of_name)(const char *name, size_t len, const void *ctx),
                     const void *ctx, unsigned all, int depth)
{
    unsigned bits = 0;

    if (!irep || depth > 1000)
        return all;
    for (uint16_t i = 0; i < irep->slen && bits != all; i++) {
        mrb_int len;
        const char *name = mrb_sym_name_len(mrb, irep->syms[i], &len);
        if (name)
            bits |= of_name(name, (size_t)len, ctx);
    }
    for (uint16_t i = 0; i < irep->rlen && bits != all; i++)
        bits |= scan(mrb, irep->reps[i], of_name, ctx, all, depth + 1);
    return bits;
}

#ifdef MCGEXEC_GEMS_TABLE

static const char *const time_names[] = { "Time", NULL };
static const char *const struct_names[] = { "Struct", NULL };
static const char *const math_names[] = { "Math", NULL };
/* (Integer#/ too, whose result differs only for a Rational, which needs
 * one of these names to exist) */
static const char *const rational_names[] = { "Rational", "to_r", "quo", NULL };
static const char *const random_names[] = { "Random", "rand", "srand", "shuffle", "shuffle!",
                                            "sample", NULL };
/* (mruby-io's print, puts and printf are replaced by mruby-print's) */
static const char *const io_names[] = { "IO", "File", "FileTest", "IOError", "EOFError",
                                        "STDIN", "STDOUT", "STDERR", "$stdin", "$stdout",
                                        "$stderr", "$?", "`", "open", "gets", NULL };

const struct mcg_deferred_gem mcg_deferred[] = {
    { "mruby_struct", struct_names },
    { "mruby_math", math_names },
    { "mruby_rational", rational_names },
    { "mruby_time", time_names },
    { "mruby_random", random_names },
    { "mruby_io", io_names },
};
const size_t mcg_ndeferred = sizeof(mcg_deferred) / sizeof(mcg_deferred[0]);
#define ALL_DEFERRED ((1u << (sizeof(mcg_deferred) / sizeof(mcg_deferred[0]))) - 1)


/* Which deferred gems this VM has: a global whose name Ruby cannot spell,
 * as the policy state's (policystate.c). */
#define LOADED_GVAR "mcgexec gems"

static unsigned loaded_mask(mrb_state *mrb)
{
    mrb_value v = mrb_gv_get(mrb, mrb_intern_lit(mrb, LOADED_GVAR));
    return mrb_integer_p(v) ? (unsigned)mrb_integer(v) : 0;
}

/* The index in mcg_deferred of gem g, or -1 where it is defined at once. */
static int deferred_index(const struct mcg_gem *g)
{
    for (size_t i = 0; i < mcg_ndeferred; i++)
        if (strcmp(mcg_deferred[i].gem, g->name) == 0)
            return (int)i;
    return -1;
}

static int defined_now(mrb_state *mrb, const struct mcg_gem *g)
{
    int d = deferred_index(g);
    return d < 0 || (loaded_mask(mrb) & (1u << d));
}

/* mrb_final_mrbgems of mruby's gem_init.c, for the gems this VM has. */
static void finals(mrb_state *mrb)
{
    for (size_t i = mcg_ngems; i-- > 0;)
        if (defined_now(mrb, &mcg_gems[i]))
            mcg_gems[i].final(mrb);
}

struct init_range {
    size_t from;    /* mcg_gems index to start at */
    unsigned mask;  /* deferred gems to define */
};

/* The gems from r->from on that are (or now become) defined, in mruby's
 * order: a gem's init raises on failure, hence the protection. */
static mrb_value init_gems(mrb_state *mrb, void *data)
{
    const struct init_range *r = data;

    for (size_t i = r->from; i < mcg_ngems; i++) {
        int d = deferred_index(&mcg_gems[i]);
        if (d >= 0 && !(r->mask & (1u << d)))
            continue;
        /* (what the caller holds, such as the compiled policy, stays) */
        int ai = mrb_gc_arena_save(mrb);
        mcg_gems[i].init(mrb);
        mrb_gc_arena_restore(mrb, ai);
    }
    return mrb_nil_value();
}

mrb_state *mcg_gems_open(mrb_allocf allocf)
{
    mrb_state *mrb = mrb_open_core(allocf, NULL);
    struct init_range r = { 0, 0 };
    mrb_bool failed = FALSE;

    if (!mrb)
        return NULL;
    mrb_gv_set(mrb, mrb_intern_lit(mrb, LOADED_GVAR), mrb_fixnum_value(0));
    mrb_protect_error(mrb, init_gems, &r, &failed);
    if (failed) {
        mrb_close(mrb);
        return NULL;
    }
    mrb_state_atexit(mrb, finals);
    return mrb;
}

int mcg_gems_load(mrb_state *mrb, unsigned mask)
{
    unsigned have = loaded_mask(mrb), add = mask & ~have;
    struct init_range r = { mcg_ngems, have | add };
    mrb_bool failed = FALSE;

    if (!add)
        return 0;
    /* from the first gem to add on, in mruby's order: the new ones, and
     * those after them again, so that mruby's last definitions stay last */
    for (size_t i = 0; i < mcg_ngems && r.from == mcg_ngems; i++) {
        int d = deferred_index(&mcg_gems[i]);
        if (d >= 0 && (add & (1u << d)))
            r.from = i;
    }
    mrb_gv_set(mrb, mrb_intern_lit(mrb, LOADED_GVAR), mrb_fixnum_value((mrb_int)(have | add)));
    mrb_value v = mrb_protect_error(mrb, init_gems, &r, &failed);
    if (failed) {
        mrb->exc = mrb_obj_ptr(v);
        return -1;
    }
    return 0;
}

/* The deferred gems a name brings, from the tables above; 0 for none.
 * (A linear search: the policy's symbols are few, and most are short.) */
static unsigned gems_of_name(const char *name, size_t len, const void *unused)
{
    (void)unused;
    if (names_one_of(reach_all, name, len))
        return ALL_DEFERRED;
    for (size_t d = 0; d < mcg_ndeferred; d++)
        if (names_one_of(mcg_deferred[d].names, name, len))
            return 1u << d;
    return 0;
}

int mcg_gems_for(mrb_state *mrb, const mrb_irep *irep)
{
    return mcg_gems_load(mrb, scan(mrb, irep, gems_of_name, NULL, ALL_DEFERRED, 0));
}

#endif

/* 1 where a name is one of `names` (or reaches names it does not spell). */
static unsigned names_bit(const char *name, size_t len, const void *names)
{
    return names_one_of(names, name, len) || names_one_of(reach_all, name, len);
}

int mcg_irep_names(mrb_state *mrb, const mrb_irep *irep, const char *const *names)
{
    return scan(mrb, irep, names_bit, names, 1, 0) != 0;
}

#ifndef MCGEXEC_GEMS_TABLE /* another libmruby: its gems as it defines them */

const struct mcg_deferred_gem mcg_deferred[] = { { NULL, NULL } };
const size_t mcg_ndeferred = 0;

mrb_state *mcg_gems_open(mrb_allocf allocf)
{
    return mrb_open_allocf(allocf, NULL);
}

int mcg_gems_load(mrb_state *mrb, unsigned mask)
{
    (void)mrb;
    (void)mask;
    return 0;
}

int mcg_gems_for(mrb_state *mrb, const mrb_irep *irep)
{
    (void)mrb;
    (void)irep;
    return 0;
}

#endif
