/* What the two halves of the policy API share at run time: the state (the
 * run, the classes, the values not yet written) held by the VM, where in
 * the policy file it is, and the raising of Cgroup::Error with that line.
 * Below both policy.c and cgroup_class.c. */
#define _GNU_SOURCE
#include "policy/policy-internal.h"

#include <stdlib.h>
#include <string.h>

#include <mruby.h>
#include <mruby/data.h>
#include <mruby/irep.h> /* before debug.h, which uses mrb_irep */
#include <mruby/debug.h>
#include <mruby/error.h>
#include <mruby/proc.h>
#include <mruby/string.h>
#include <mruby/variable.h>

/* The state is a global variable whose name Ruby cannot spell: a policy
 * can neither reach nor replace it (it can reassign the constant Cgroup),
 * and mrb->ud stays free for whoever embeds the gem. */
#define STATE_GVAR "mcgexec state"

static void state_free(mrb_state *mrb, void *p)
{
    struct policy_state *st = p;
    (void)mrb;
    if (st)
        mcg_run_free(st->own_run);
    if (st)
        mcg_free_unwritten(st);
    free(st);
}

static const struct mrb_data_type state_type = { "mcgexec state", state_free };

void mcg_state_set(mrb_state *mrb, struct policy_state *st)
{
    struct RData *holder = mrb_data_object_alloc(mrb, mrb->object_class, st, &state_type);
    mrb_gv_set(mrb, mrb_intern_lit(mrb, STATE_GVAR), mrb_obj_value(holder));
}

struct policy_state *mcg_state_of(mrb_state *mrb)
{
    mrb_value v = mrb_gv_get(mrb, mrb_intern_lit(mrb, STATE_GVAR));
    struct policy_state *st = mrb_data_check_get_ptr(mrb, v, &state_type);
    if (!st)
        mrb_raise(mrb, E_RUNTIME_ERROR, "Cgroup: the module's state is gone");
    return st;
}

/* ---- where in the policy are we? -------------------------------------- */

/* The line of the innermost frame that runs the policy file itself (not
 * our own Ruby code), so that an error can point at the line that set the
 * value, not at the create that wrote it. */
int mcg_policy_line(mrb_state *mrb)
{
    const char *fn = mcg_state_of(mrb)->filename;

    for (const mrb_callinfo *ci = mrb->c->ci; ci >= mrb->c->cibase; ci--) {
        const struct RProc *p = ci->proc;
        if (!p || MRB_PROC_CFUNC_P(p) || !p->body.irep)
            continue;
        const mrb_irep *irep = p->body.irep;
        uint32_t pc = ci->pc ? (uint32_t)(ci->pc - irep->iseq) : 0;
        if (pc > 0)
            pc--;
        const char *f = mrb_debug_get_filename(mrb, irep, pc);
        if (f && (!fn || strcmp(f, fn) == 0))
            return mrb_debug_get_line(mrb, irep, pc);
    }
    return -1;
}

mrb_noreturn void mcg_raise_at(mrb_state *mrb, int line, mrb_value msg)
{
    mrb_value exc = mrb_exc_new_str(mrb, mcg_state_of(mrb)->error_class, msg);
    if (line >= 0)
        mrb_iv_set(mrb, exc, mrb_intern_lit(mrb, "@mcgexec_line"), mrb_fixnum_value(line));
    mrb_exc_raise(mrb, exc);
}

mrb_noreturn void mcg_raise_err(mrb_state *mrb, const struct mcg_error *err)
{
    mcg_raise_at(mrb, err->about_host ? 0 : -1, mrb_str_new_cstr(mrb, err->msg));
}

