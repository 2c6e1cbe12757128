/* The policy's VM: opening mruby with mcgexec's API (the Cgroup classes of
 * cgroup_class.c, module Mcgexec here, src/policy/mrblib's Ruby), running the
 * policy, and turning what it raised into one line with the policy's file
 * and line.  The state the API shares is policystate.c's. */
#define _GNU_SOURCE
#include "policy/policy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/array.h>
#include <mruby/class.h>
#include <mruby/compile.h>
#include <mruby/data.h>
#include <mruby/irep.h> /* before debug.h, which uses mrb_irep */
#include <mruby/debug.h>
#include <mruby/error.h>
#include <mruby/proc.h>
#include <mruby/string.h>
#include <mruby/variable.h>

#include "settings/convert.h"
#include "policy/gems.h"
#include "policy/vmheap.h"
#include "settings/settings.h"
#include "base/values.h"
#include "policy/policy-internal.h"
#ifndef MCGEXEC_GEM
/* src/policy/mrblib, compiled to bytecode by mrbc at build time (as an mrbgem,
 * mruby's build compiles and loads it instead): group.rb apart, loaded on
 * the concise form's first use. */
extern const uint8_t mcgexec_mrblib[], mcgexec_mrblib_group[], mcgexec_mrblib_env[];
#endif

extern char **environ;

/* ---- module Mcgexec: what the policy may know about the run ---------- */

static mrb_value api_getenv(mrb_state *mrb, mrb_value self)
{
    const char *name;
    (void)self;
    mrb_get_args(mrb, "z", &name);
    const char *v = getenv(name);
    return v ? mrb_str_new_cstr(mrb, v) : mrb_nil_value();
}

static mrb_value api_environ(mrb_state *mrb, mrb_value self)
{
    mrb_value a = mrb_ary_new(mrb);
    (void)self;
    for (char **e = environ; e && *e; e++)
        mrb_ary_push(mrb, a, mrb_str_new_cstr(mrb, *e));
    return a;
}

static mrb_value api_dry_run_p(mrb_state *mrb, mrb_value self)
{
    (void)self;
    return mrb_bool_value(mcg_dry_run(mcg_state_of(mrb)->run));
}

static mrb_value api_pid(mrb_state *mrb, mrb_value self)
{
    (void)self;
    return mrb_fixnum_value(mcg_run_pid(mcg_state_of(mrb)->run));
}

/* Mcgexec.unique("ci/job") -> "ci/job-4242-9f3a1c": a name no other run
 * picks, from the pid (unique among running processes) and 24 random bits
 * (against pid reuse across hosts and containers). */
static mrb_value api_unique(mrb_state *mrb, mrb_value self)
{
    const char *prefix = "mcgexec";
    unsigned char rnd[3] = { 0 };
    char buf[512];
    (void)self;

    mrb_get_args(mrb, "|z", &prefix);
    if (getentropy(rnd, sizeof(rnd)) < 0)
        mrb_sys_fail(mrb, "getentropy");
    snprintf(buf, sizeof(buf), "%s-%d-%02x%02x%02x", prefix, (int)mcg_run_pid(mcg_state_of(mrb)->run),
             rnd[0], rnd[1], rnd[2]);
    return mrb_str_new_cstr(mrb, buf);
}

/* 1 or 2 (the cgroup version this host runs), nil where there is none. */
static mrb_value api_cgroup_version(mrb_state *mrb, mrb_value self)
{
    struct mcg_error err = { 0 };
    (void)self;
    int layout = mcg_layout(mcg_state_of(mrb)->run, &err);
    if (layout < 0)
        mcg_raise_err(mrb, &err);
    if (layout == MCG_LAYOUT_NONE)
        return mrb_nil_value();
    return mrb_fixnum_value(layout == MCG_LAYOUT_UNIFIED ? 2 : 1);
}

/* Mcgexec.percent_quota("150%", 100000) -> 150000, for the concise form. */
static mrb_value api_percent_quota(mrb_state *mrb, mrb_value self)
{
    mrb_value v;
    mrb_int period;
    int64_t quota;
    const char *why = "invalid CPU share (use a percentage of one CPU such as \"150%\")";
    (void)self;

    mrb_get_args(mrb, "oi", &v, &period);
    const char *s = mrb_string_p(v) ? mcg_cstr_of(mrb, v) : NULL;
    if (!s || mcg_parse_percent_quota(s, period, &quota, &why) < 0)
        mcg_raise_at(mrb, mcg_policy_line(mrb),
                     mrb_format(mrb, "cpu = %v: %s", mrb_inspect(mrb, v), why));
    return mrb_int_value(mrb, (mrb_int)quota);
}

/* ---- setting up the VM -------------------------------------------------- */

/* The Cgroup module and classes, and the Mcgexec helpers, for a VM whose
 * changes go through `run` (NULL: a run of its own, as the gem has in any
 * other mruby build: not a dry run, names under $MCGEXEC_ROOT). */
/* Mcgexec.load_group: the concise form's machinery, Mcgexec::CONCISE and
 * CONTROLLERS from the settings table and src/policy/mrblib/group.rb, the first
 * time a policy calls `group` (src/policy/mrblib/concise.rb): building them is a
 * sixth of what mcgexec does at start-up, for a form a policy in
 * mruby-cgroup style never uses.  Our own method, so nothing of mruby's
 * changes.  (The gem, in another mruby, loads it with the rest.) */
#ifndef MCGEXEC_GEM
/* Run a part of src/policy/mrblib compiled apart, at the top level (as when the
 * VM opened, not in the class of a method that loads it); mrb->exc on
 * failure. */
static void load_library_part(mrb_state *mrb, const uint8_t *bin)
{
    int ai = mrb_gc_arena_save(mrb);
    mrbc_context *cxt = mrbc_context_new(mrb);
    cxt->no_exec = TRUE;
    mrb_value proc = mrb_load_irep_cxt(mrb, bin, cxt);
    mrbc_context_free(mrb, cxt);
    if (!mrb->exc && mrb_proc_p(proc)) {
        MRB_PROC_SET_TARGET_CLASS(mrb_proc_ptr(proc), mrb->object_class);
        mrb_top_run(mrb, mrb_proc_ptr(proc), mrb_top_self(mrb), 0);
    }
    mrb_gc_arena_restore(mrb, ai);
}
#endif

static mrb_value api_load_group(mrb_state *mrb, mrb_value self)
{
    struct policy_state *st = mcg_state_of(mrb);

    (void)self;
    if (st->group_loaded)
        return mrb_nil_value();
    st->group_loaded = 1;
#ifndef MCGEXEC_GEM
    mcg_define_concise(mrb, st, mrb_module_get(mrb, "Mcgexec"));
    load_library_part(mrb, mcgexec_mrblib_group);
    if (mrb->exc) { /* (none is expected: the library's own code) */
        mrb_value e = mrb_obj_value(mrb->exc);
        mrb->exc = NULL;
        mrb_exc_raise(mrb, e);
    }
#endif
    return mrb_nil_value();
}

static struct policy_state *define_api(mrb_state *mrb, struct mcg_run *run)
{
    struct policy_state *st = calloc(1, sizeof(*st));

    if (!st)
        abort();
    if (!run) {
        const char *root = getenv("MCGEXEC_ROOT");
        st->own_run = mcg_run_new(&(struct mcg_run_opts){ .root = root && *root ? root : NULL });
        run = st->own_run;
    }
    st->run = run;
    mcg_state_set(mrb, st);

    mcg_define_cgroup(mrb, st);

    struct RClass *m = mrb_define_module(mrb, "Mcgexec");
    mrb_define_module_function(mrb, m, "getenv", api_getenv, MRB_ARGS_REQ(1));
    mrb_define_module_function(mrb, m, "environ", api_environ, MRB_ARGS_NONE());
    mrb_define_module_function(mrb, m, "dry_run?", api_dry_run_p, MRB_ARGS_NONE());
    mrb_define_module_function(mrb, m, "pid", api_pid, MRB_ARGS_NONE());
    mrb_define_module_function(mrb, m, "cgroup_version", api_cgroup_version, MRB_ARGS_NONE());
    mrb_define_module_function(mrb, m, "unique", api_unique, MRB_ARGS_OPT(1));
    mrb_define_module_function(mrb, m, "percent_quota", api_percent_quota, MRB_ARGS_REQ(2));
    mrb_define_module_function(mrb, m, "load_group", api_load_group, MRB_ARGS_NONE());
#ifdef MCGEXEC_GEM
    /* (the gem's src/policy/mrblib, group.rb included, loads after this) */
    mcg_define_concise(mrb, st, m);
    st->group_loaded = 1;
#endif
    return st;
}

#ifdef MCGEXEC_GEM
/* Built as an mrbgem (mrbgem.rake): mruby's generated gem_init calls these,
 * then loads src/policy/mrblib. */
void mrb_mruby_mcgexec_gem_init(mrb_state *mrb)
{
    define_api(mrb, NULL);
}

void mrb_mruby_mcgexec_gem_final(mrb_state *mrb)
{
    (void)mrb; /* the state goes with the VM's objects */
}
#else

#endif /* MCGEXEC_GEM */

mrb_state *mcg_policy_open(struct mcg_run *run, const char *filename, char *const *command,
                           struct mcg_error *err)
{
    struct policy_state *st;
#ifdef MCGEXEC_GEM
    /* libmruby built with mruby_config.rb: every gem it lists, this one
     * included, is initialised by mrb_open(); the gem made a run of its
     * own, which mcgexec's replaces. */
    mrb_state *mrb = mrb_open();
    if (!mrb) {
        mcg_fail(err, "cannot start the mruby VM: out of memory");
        return NULL;
    }
    st = mcg_state_of(mrb);
    mcg_run_free(st->own_run);
    st->own_run = NULL;
    st->run = run;
#else
    /* mruby and the gems mruby_config.rb lists (those a policy must name
     * to use come when it does: src/policy/gems.c), then mcgexec's API; a
     * supervisor's VM in memory of its own, given back whole when it
     * closes (src/policy/vmheap.c) */
    mrb_state *mrb = mcg_gems_open(mcg_supervised(run) && mcg_vmheap_available() ? mcg_vmheap_allocf
                                                                          : mrb_default_allocf);
    if (!mrb) {
        mcg_fail(err, "cannot start the mruby VM: out of memory");
        return NULL;
    }
    st = define_api(mrb, run);
    mrb_load_irep(mrb, mcgexec_mrblib);
#endif
    st->filename = filename;
    mrb_value argv = mrb_ary_new(mrb);
    for (char *const *a = command; a && *a; a++)
        mrb_ary_push(mrb, argv, mrb_str_new_cstr_frozen(mrb, *a));
    mrb_define_global_const(mrb, "ARGV", mrb_obj_freeze(mrb, argv));
    if (mrb->exc) {
        mrb_value s = mrb_inspect(mrb, mrb_obj_value(mrb->exc));
        mcg_fail(err, "internal error loading the policy library: %s", RSTRING_CSTR(mrb, s));
        mcg_policy_close(mrb);
        return NULL;
    }
    return mrb;
}

/* The line to report: ours when we raised with one, else the first frame of
 * the backtrace that is in the policy file. */
static int exception_line(mrb_state *mrb, mrb_value exc)
{
    const char *fn = mcg_state_of(mrb)->filename;
    size_t fl = fn ? strlen(fn) : 0;
    mrb_value l = mrb_iv_get(mrb, exc, mrb_intern_lit(mrb, "@mcgexec_line"));

    if (mrb_integer_p(l) && mrb_integer(l) >= 0 && mrb_integer(l) <= INT_MAX)
        return (int)mrb_integer(l);
    mrb_value bt = mrb_exc_backtrace(mrb, exc);
    if (!mrb_array_p(bt))
        return -1;
    for (mrb_int i = 0; i < RARRAY_LEN(bt); i++) {
        mrb_value e = RARRAY_PTR(bt)[i];
        if (!mrb_string_p(e))
            continue;
        /* "FILE:LINE..." (a policy may set any strings, NULs included) */
        const char *s = RSTRING_PTR(e);
        size_t n = (size_t)RSTRING_LEN(e), at = fl + 1;
        if (!fn || n <= at || memcmp(s, fn, fl) != 0 || s[fl] != ':')
            continue;
        int line = 0;
        while (at < n && s[at] >= '0' && s[at] <= '9' && line < 100000000)
            line = line * 10 + (s[at++] - '0');
        return line;
    }
    return -1;
}

/* A Ruby String as one line of text for a message: NUL bytes and line
 * breaks (a policy may raise any string) shown escaped, cut to fit. */
static void one_line(mrb_value str, char *out, size_t size)
{
    const char *p = RSTRING_PTR(str);
    size_t n = (size_t)RSTRING_LEN(str), o = 0;

    for (size_t i = 0; i < n && o + 3 < size; i++) {
        char c = p[i];
        if (c == '\0' || c == '\n' || c == '\r') {
            out[o++] = '\\';
            out[o++] = c == '\0' ? '0' : c == '\n' ? 'n' : 'r';
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
}

struct describing {
    mrb_value exc;
    struct mcg_error *err;
};

/* The message for the exception the policy ended with.  Runs under
 * mrb_protect_error: the exception is the policy's own object, and
 * anything on it may raise again (a redefined message, a frozen or odd
 * exception, a backtrace the policy set). */
static mrb_value describe_body(mrb_state *mrb, void *ud)
{
    struct describing *d = ud;
    struct policy_state *st = mcg_state_of(mrb);
    const char *cls = mrb_obj_classname(mrb, d->exc);
    /* a redefined message that raises is caught by mrb_funcall itself */
    mrb_value m = mrb_funcall(mrb, d->exc, "message", 0);
    char msg[sizeof(d->err->msg) / 2];
    int line;

    mrb->exc = NULL;
    if (mrb_string_p(m))
        one_line(m, msg, sizeof(msg));
    else
        snprintf(msg, sizeof(msg), "(its message method failed)");
    if (strcmp(cls, "SyntaxError") == 0 && strncmp(msg, "line ", 5) == 0) {
        /* the parser says "line 3: syntax error, ..." */
        line = atoi(msg + 5);
        const char *rest = strchr(msg, ':');
        mcg_fail(d->err, "%s:%d:%s", st->filename, line, rest ? rest + 1 : msg);
        return mrb_nil_value();
    }
    line = exception_line(mrb, d->exc);
    const int ours = mrb_obj_is_kind_of(mrb, d->exc, st->error_class);
    char loc[PATH_MAX + 32] = "";
    if (line > 0)
        snprintf(loc, sizeof(loc), "%s:%d: ", st->filename, line);
    else if (line < 0)
        snprintf(loc, sizeof(loc), "%s: ", st->filename);
    if (ours)
        mcg_fail(d->err, "%s%s", loc, msg);
    else
        mcg_fail(d->err, "%s%s (%s)", loc, msg, cls);
    return mrb_nil_value();
}

static void describe_exception(mrb_state *mrb, struct mcg_error *err)
{
    struct describing d = { mrb_obj_value(mrb->exc), err };
    mrb_bool failed = FALSE;

    /* Off mrb->exc, the exception (and the backtrace it packs) must stay
     * reachable while it is described: the calls below allocate, and the
     * GC would free it under us.  The caller's arena restore lets it go. */
    mrb_gc_protect(mrb, d.exc);
    mrb->exc = NULL;
    mrb_protect_error(mrb, describe_body, &d, &failed);
    if (failed) {
        mrb->exc = NULL;
        mcg_fail(err, "%s: the policy raised %s, which could not be described", mcg_state_of(mrb)->filename,
                 mrb_obj_classname(mrb, d.exc));
    }
}

int mcg_policy_run(mrb_state *mrb, const char *code, size_t len, struct mcg_error *err)
{
    struct policy_state *st = mcg_state_of(mrb);
    mrbc_context *cxt = mrbc_context_new(mrb);
    int ai = mrb_gc_arena_save(mrb);

    mrbc_filename(mrb, cxt, st->filename);
    cxt->capture_errors = TRUE;
    int bytecode = len >= 4 && memcmp(code, "RITE", 4) == 0; /* precompiled with mrbc */
    size_t bad;
    if (!bytecode && !mcg_utf8_valid(code, len, &bad)) {
        /* as Ruby does: source is UTF-8, and stray bytes are an error,
         * not identifier characters */
        int line = 1;
        for (size_t i = 0; i < bad; i++)
            line += code[i] == '\n';
        mrbc_context_free(mrb, cxt);
        return mcg_fail(err, "%s:%d: invalid UTF-8 (byte 0x%02x): a policy is UTF-8 text or "
                        "mrbc bytecode", st->filename, line, (unsigned char)code[bad]);
    }
    /* compiled first, then run: mruby's own loaders, split so that a
     * compile error is told apart from one the policy raised */
    cxt->no_exec = TRUE;
    mrb_value proc = bytecode ? mrb_load_irep_buf_cxt(mrb, code, len, cxt)
                              : mrb_load_nstring_cxt(mrb, code, len, cxt);
    mrbc_context_free(mrb, cxt);
#ifndef MCGEXEC_GEM
    /* the gems the policy names, and ENV (src/policy/mrblib/env.rb) where it
     * names it, before its first line runs: no policy can tell them from
     * what the VM opened with (src/policy/gems.c) */
    static const char *const env_names[] = { "ENV", "Environment", NULL };
    if (!mrb->exc && mrb_proc_p(proc) &&
        mcg_gems_for(mrb, mrb_proc_ptr(proc)->body.irep) == 0 &&
        mcg_irep_names(mrb, mrb_proc_ptr(proc)->body.irep, env_names))
        load_library_part(mrb, mcgexec_mrblib_env);
#endif
    if (!mrb->exc && mrb_proc_p(proc)) {
        struct RProc *p = mrb_proc_ptr(proc);
        if (!bytecode && mrb->c->ci) { /* as mrb_load_exec() runs source */
            MRB_PROC_SET_TARGET_CLASS(p, mrb->object_class);
            mrb_vm_ci_target_class_set(mrb->c->ci, mrb->object_class);
        }
        mrb_top_run(mrb, p, mrb_top_self(mrb), 0);
    }
    if (bytecode && mrb->exc &&
        mrb_obj_is_kind_of(mrb, mrb_obj_value(mrb->exc), E_SCRIPT_ERROR)) {
        /* mruby says only "irep load error" */
        mrb->exc = NULL;
        mrb_gc_arena_restore(mrb, ai);
        return mcg_fail(err, "%s: not valid bytecode for mruby %s (RITE): truncated, corrupt, or "
                        "from another mruby version (recompile with this mrbc)", st->filename,
                        MRUBY_VERSION);
    }
    if (mrb->exc) {
        describe_exception(mrb, err);
        mrb_gc_arena_restore(mrb, ai);
        return -1;
    }
    mrb_gc_arena_restore(mrb, ai);
    return mcg_check_unwritten(st, err);
}

void mcg_policy_close(mrb_state *mrb)
{
    if (!mrb)
        return;
#ifndef MCGEXEC_GEM
    int own_heap = mrb->allocf == mcg_vmheap_allocf;
#endif
    mrb_close(mrb); /* frees the state too (state_free) */
#ifndef MCGEXEC_GEM
    if (own_heap)
        mcg_vmheap_release();
#endif
}

