/* The Cgroup module seen by policies.
 *
 * A Cgroup::X object holds a validated group name, its directory and the
 * settings the policy staged; create/modify/open write exactly those
 * settings (as mruby-cgroup, setters only stage), getters read the kernel
 * each time, and every failure raises Cgroup::Error with the setting, the
 * value, the file and the errno text.  The typed accessors are generated
 * from the settings table (settings.c); values are checked by the parsers
 * in values.c when they are set, before anything reaches the kernel.
 */
#define _GNU_SOURCE
#include "policy.h"

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

#include "convert.h"
#include "settings.h"
#include "values.h"
#ifndef MCGEXEC_GEM
/* src/mrblib, compiled to bytecode by mrbc at build time (as an mrbgem,
 * mruby's build compiles and loads it instead). */
extern const uint8_t mcgexec_mrblib[];
#endif

extern char **environ;

struct policy_state {
    struct mcg_run *run;
    const char *filename;      /* the policy's name in messages; NULL: any file */
    struct RClass *classes[MCG_NCTRL];
    struct RClass *error_class;
    struct mcg_run *own_run;   /* the gem in another mruby: its own, freed with the VM */
};

/* The state is a global variable whose name Ruby cannot spell: a policy
 * can neither reach nor replace it (it can reassign the constant Cgroup),
 * and mrb->ud stays free for whoever embeds the gem. */
#define STATE_GVAR "mcgexec state"

static void state_free(mrb_state *mrb, void *p)
{
    struct policy_state *st = p;
    (void)mrb;
    if (st && st->own_run) {
        mcg_run_free(st->own_run);
        free(st->own_run);
    }
    free(st);
}

static const struct mrb_data_type state_type = { "mcgexec state", state_free };

static struct policy_state *state_of(mrb_state *mrb)
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
static int policy_line(mrb_state *mrb)
{
    const char *fn = state_of(mrb)->filename;

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

/* Raise Cgroup::Error.  line > 0: report that line; -1: the line the
 * backtrace shows; 0: no location (a fact about the host, not the policy). */
static mrb_noreturn void raise_at(mrb_state *mrb, int line, const char *msg)
{
    mrb_value exc = mrb_exc_new_str(mrb, state_of(mrb)->error_class, mrb_str_new_cstr(mrb, msg));
    if (line >= 0)
        mrb_iv_set(mrb, exc, mrb_intern_lit(mrb, "@mcgexec_line"), mrb_fixnum_value(line));
    mrb_exc_raise(mrb, exc);
}

static mrb_noreturn void raise_err(mrb_state *mrb, const struct mcg_error *err)
{
    raise_at(mrb, err->about_host ? 0 : -1, err->msg);
}

/* ---- the group object -------------------------------------------------- */

struct group {
    enum mcg_ctrl ctrl;
    char *name;
    char dir[PATH_MAX];
    struct mcg_staged *st;
    size_t n, cap;
};

static void group_free(mrb_state *mrb, void *p)
{
    struct group *g = p;

    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++) {
        mrb_free(mrb, g->st[i].file);
        mrb_free(mrb, g->st[i].value);
        mrb_free(mrb, g->st[i].shown);
    }
    mrb_free(mrb, g->st);
    mrb_free(mrb, g->name);
    mrb_free(mrb, g);
}

static const struct mrb_data_type group_type = { "Cgroup", group_free };

static struct group *get_group(mrb_state *mrb, mrb_value self)
{
    struct group *g = mrb_data_get_ptr(mrb, self, &group_type);
    if (!g)
        mrb_raise(mrb, E_RUNTIME_ERROR, "uninitialized Cgroup object");
    return g;
}

static char *dup_mrb(mrb_state *mrb, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = mrb_malloc(mrb, n);
    memcpy(p, s, n);
    return p;
}

/* self's group record, new and empty (an old one freed), set on self at
 * once: what is filled in afterwards is the GC's to free should a later
 * allocation raise. */
static struct group *fresh_group(mrb_state *mrb, mrb_value self)
{
    group_free(mrb, DATA_PTR(self));
    DATA_PTR(self) = NULL;
    DATA_TYPE(self) = &group_type;
    struct group *g = mrb_calloc(mrb, 1, sizeof(*g));
    DATA_PTR(self) = g;
    return g;
}

static mrb_value group_init(mrb_state *mrb, mrb_value self)
{
    struct policy_state *st = state_of(mrb);
    struct mcg_error err = { 0 };
    const char *why;
    char *name;
    mrb_int len;
    int ctrl = -1;

    mrb_get_args(mrb, "s", &name, &len);
    for (int c = 0; c < MCG_NCTRL && ctrl < 0; c++)
        if (mrb_obj_is_kind_of(mrb, self, st->classes[c]))
            ctrl = c;
    if (ctrl < 0)
        mrb_raise(mrb, E_TYPE_ERROR, "not a Cgroup controller class");
    if (mcg_check_group_name(name, (size_t)len, &why) < 0) {
        mrb_value q = mrb_inspect(mrb, mrb_str_new(mrb, name, len));
        char msg[1024];
        snprintf(msg, sizeof(msg), "invalid group name %s: %s", RSTRING_CSTR(mrb, q), why);
        raise_at(mrb, -1, msg);
    }

    struct group *g = fresh_group(mrb, self);
    g->ctrl = (enum mcg_ctrl)ctrl;
    g->name = mrb_malloc(mrb, (size_t)len + 1);
    memcpy(g->name, name, (size_t)len);
    g->name[len] = '\0';
    if (mcg_group_dir(st->run, g->ctrl, g->name, g->dir, sizeof(g->dir), &err) < 0)
        raise_err(mrb, &err);
    return self;
}

/* dup and clone: a group object of the same name with the same staged
 * settings, each its own copy (never the same C pointer twice, which
 * mruby-cgroup got wrong). */
static mrb_value group_init_copy(mrb_state *mrb, mrb_value self)
{
    mrb_value orig = mrb_get_arg1(mrb);
    struct group *o = get_group(mrb, orig);

    if (mrb_obj_equal(mrb, self, orig))
        return self;
    struct group *g = fresh_group(mrb, self);
    g->ctrl = o->ctrl;
    memcpy(g->dir, o->dir, sizeof(g->dir));
    g->name = dup_mrb(mrb, o->name);
    if (o->n > 0) {
        g->st = mrb_calloc(mrb, o->n, sizeof(*g->st));
        g->cap = o->n;
        for (size_t i = 0; i < o->n; i++) {
            struct mcg_staged *to = &g->st[i];
            const struct mcg_staged *from = &o->st[i];
            *to = *from;
            to->file = to->value = to->shown = NULL;
            g->n = i + 1;
            to->file = from->file ? dup_mrb(mrb, from->file) : NULL;
            to->value = from->value ? dup_mrb(mrb, from->value) : NULL;
            to->shown = from->shown ? dup_mrb(mrb, from->shown) : NULL;
        }
    }
    return self;
}

/* ---- staging and applying ---------------------------------------------- */

static void stage(mrb_state *mrb, struct group *g, const struct mcg_setting *s, const char *file,
                  enum mcg_kind kind, mrb_value v)
{
    char value[4200], msg[1400];
    const char *why = NULL;
    mrb_value shown = mrb_inspect(mrb, v);
    int line = policy_line(mrb);
    struct mcg_error err = { 0 };

    if (s && mcg_setting_usable(state_of(mrb)->run, s, 1, &err) < 0)
        raise_at(mrb, line, err.msg);
    if (mcg_to_kernel(mrb, kind, v, value, sizeof(value), &why) < 0) {
        snprintf(msg, sizeof(msg), "%s = %s: %s", file, RSTRING_CSTR(mrb, shown), why);
        raise_at(mrb, line, msg);
    }
    /* A second assignment before create replaces the first. */
    for (size_t i = 0; i < g->n; i++) {
        struct mcg_staged *e = &g->st[i];
        if (!e->applied && strcmp(e->file, file) == 0) {
            mrb_free(mrb, e->value);
            mrb_free(mrb, e->shown);
            e->value = dup_mrb(mrb, value);
            e->shown = dup_mrb(mrb, RSTRING_CSTR(mrb, shown));
            e->line = line;
            return;
        }
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 4;
        g->st = mrb_realloc(mrb, g->st, g->cap * sizeof(*g->st));
    }
    g->st[g->n++] = (struct mcg_staged){ s, dup_mrb(mrb, file), dup_mrb(mrb, value),
                                     dup_mrb(mrb, RSTRING_CSTR(mrb, shown)), line, 0 };
}

static mrb_noreturn void raise_write(mrb_state *mrb, struct group *g, struct mcg_staged *e,
                                     struct mcg_error *err)
{
    char msg[8192], written[4300] = "";
    size_t vl = strlen(e->value);
    int quoted_same = e->shown[0] == '"' && strncmp(e->shown + 1, e->value, vl) == 0 &&
                      strcmp(e->shown + 1 + vl, "\"") == 0;

    /* Show what reached the kernel when it differs from what the policy
     * wrote: memory.limit_in_bytes = "16M" (16777216). */
    if (strcmp(e->shown, e->value) != 0 && !quoted_same)
        snprintf(written, sizeof(written), " (%s)", e->value);
    if (err->errnum == ENOENT && !e->setting)
        snprintf(msg, sizeof(msg), "%s = %s: the %s controller has no file '%s' (%s)", e->file,
                 e->shown, mcg_ctrl_name(g->ctrl), e->file, err->msg);
    else
        snprintf(msg, sizeof(msg), "%s = %s%s: %s", e->file, e->shown, written, err->msg);
    raise_at(mrb, e->line, msg);
}

/* create, modify and open: make the group if needed, then write what the
 * policy staged since the last time, in the order it was set. */
static mrb_value group_apply(mrb_state *mrb, mrb_value self)
{
    struct mcg_run *run = state_of(mrb)->run;
    struct group *g = get_group(mrb, self);
    struct mcg_error err = { 0 };
    int created;

    if (mcg_create(run, g->ctrl, g->dir, &created, &err) < 0)
        raise_err(mrb, &err);
    size_t failed;
    if (mcg_apply_staged(run, g->dir, g->st, g->n, &failed, &err) < 0)
        raise_write(mrb, g, &g->st[failed], &err);
    mcg_add_pending(run, g->ctrl, g->dir);
    return self;
}

static mrb_value group_delete(mrb_state *mrb, mrb_value self)
{
    struct group *g = get_group(mrb, self);
    struct mcg_error err = { 0 };

    if (mcg_delete(state_of(mrb)->run, g->ctrl, g->dir, &err) < 0)
        raise_err(mrb, &err);
    for (size_t i = 0; i < g->n; i++)
        g->st[i].applied = 0; /* a later create writes them again */
    return self;
}

static mrb_value group_exist_p(mrb_state *mrb, mrb_value self)
{
    struct group *g = get_group(mrb, self);
    return mrb_bool_value(mcg_dir_exists(state_of(mrb)->run, g->dir));
}

static mrb_value group_attach(mrb_state *mrb, mrb_value self)
{
    struct mcg_run *run = state_of(mrb)->run;
    struct group *g = get_group(mrb, self);
    struct mcg_error err = { 0 };
    mrb_value pv = mrb_nil_value();
    pid_t pid = run->pid;

    mrb_get_args(mrb, "|o", &pv);
    if (!mrb_nil_p(pv)) {
        if (!mrb_integer_p(pv) || mrb_integer(pv) <= 0 || mrb_integer(pv) > 0x7fffffff)
            raise_at(mrb, -1, "attach: the pid must be a positive Integer");
        pid = (pid_t)mrb_integer(pv);
    }
    if (mcg_attach(run, g->ctrl, g->dir, pid, &err) < 0)
        raise_err(mrb, &err);
    if (pid == run->pid)
        run->hier[g->ctrl].explicit_attach = 1;
    return self;
}

/* Back to the top: the hierarchy's root, or the --root group. */
static mrb_value group_detach(mrb_state *mrb, mrb_value self)
{
    struct mcg_run *run = state_of(mrb)->run;
    struct group *g = get_group(mrb, self);
    struct mcg_error err = { 0 };
    char top[PATH_MAX];

    if (mcg_group_dir(run, g->ctrl, "/", top, sizeof(top), &err) < 0 ||
        mcg_attach(run, g->ctrl, top, run->pid, &err) < 0)
        raise_err(mrb, &err);
    run->hier[g->ctrl].explicit_attach = 1;
    return self;
}

static mrb_value group_name(mrb_state *mrb, mrb_value self)
{
    return mrb_str_new_cstr(mrb, get_group(mrb, self)->name);
}

/* Read a setting (s), or a native control file (s NULL, `file`); before the
 * group exists (or in a dry run that only planned it), the value the
 * policy staged. */
static mrb_value read_setting(mrb_state *mrb, struct group *g, const struct mcg_setting *s,
                              const char *file)
{
    struct mcg_run *run = state_of(mrb)->run;
    struct mcg_error err = { 0 };
    char *text = NULL;

    if (s && mcg_setting_usable(run, s, 0, &err) < 0)
        raise_at(mrb, -1, err.msg);
    if (!mcg_dir_exists(run, g->dir) || (run->dry_run && access(g->dir, F_OK) != 0)) {
        for (size_t i = g->n; i-- > 0;) {
            const struct mcg_staged *e = &g->st[i];
            if (s ? e->setting == s : strcmp(e->file, file) == 0)
                return s ? mcg_from_kernel(mrb, s->kind, e->value)
                         : mcg_from_kernel_generic(mrb, e->value);
        }
        if (run->dry_run)
            return mrb_nil_value();
        char msg[PATH_MAX + 128];
        snprintf(msg, sizeof(msg), "%s: group %s does not exist", file, g->dir);
        raise_at(mrb, -1, msg);
    }
    if ((s ? mcg_read_setting(run, g->dir, s, &text, &err)
           : mcg_read(run, g->dir, file, &text, &err)) < 0)
        raise_err(mrb, &err);
    mrb_value v = s ? mcg_from_kernel(mrb, s->kind, text) : mcg_from_kernel_generic(mrb, text);
    free(text);
    return v;
}

static const struct mcg_setting *called_setting(mrb_state *mrb, struct group *g)
{
    char name[128];

    snprintf(name, sizeof(name), "%s", mrb_sym_name(mrb, mrb_get_mid(mrb)));
    name[strcspn(name, "=")] = '\0';
    const struct mcg_setting *s = mcg_setting_find(g->ctrl, name);
    if (!s)
        mrb_raisef(mrb, E_NOTIMP_ERROR, "no setting %s", name);
    return s;
}

static mrb_value setting_get(mrb_state *mrb, mrb_value self)
{
    struct group *g = get_group(mrb, self);
    const struct mcg_setting *s = called_setting(mrb, g);
    return read_setting(mrb, g, s, s->file);
}

static mrb_value setting_set(mrb_state *mrb, mrb_value self)
{
    struct group *g = get_group(mrb, self);
    const struct mcg_setting *s = called_setting(mrb, g);
    mrb_value v;

    mrb_get_args(mrb, "o", &v);
    stage(mrb, g, s, s->file, s->kind, v);
    return v;
}

/* c["memory.swappiness"]: any file of the object's own controller. */
static const char *generic_file(mrb_state *mrb, struct group *g, mrb_value key)
{
    const char *prefix = mcg_file_prefix(state_of(mrb)->run, g->ctrl);
    size_t plen = strlen(prefix);
    char msg[512];
    const char *f;

    if (mrb_symbol_p(key))
        key = mrb_sym_str(mrb, mrb_symbol(key));
    if (!mrb_string_p(key))
        raise_at(mrb, -1, "control file name must be a String such as \"memory.swappiness\"");
    f = mcg_cstr_of(mrb, key);
    if (!f || strncmp(f, prefix, plen) != 0 || f[plen] != '.' || !f[plen + 1] ||
        strchr(f, '/') || strlen(f) > 255) {
        mrb_value q = mrb_inspect(mrb, key);
        snprintf(msg, sizeof(msg), "%s is not a control file of the %s controller (%s.*)",
                 RSTRING_CSTR(mrb, q), prefix, prefix);
        raise_at(mrb, -1, msg);
    }
    return f;
}

/* On v1 a file the table knows keeps its typed parsing (sizes with units);
 * on v2 the generic form is native files, passed as they are. */
static const struct mcg_setting *generic_setting(mrb_state *mrb, struct group *g, const char *f)
{
    if (state_of(mrb)->run->layout == MCG_LAYOUT_UNIFIED)
        return NULL;
    return mcg_setting_by_file(g->ctrl, f);
}

static mrb_value generic_get(mrb_state *mrb, mrb_value self)
{
    struct group *g = get_group(mrb, self);
    mrb_value key;

    mrb_get_args(mrb, "o", &key);
    const char *f = generic_file(mrb, g, key);
    const struct mcg_setting *s = generic_setting(mrb, g, f);
    return read_setting(mrb, g, s, f);
}

static mrb_value generic_set(mrb_state *mrb, mrb_value self)
{
    struct mcg_run *run = state_of(mrb)->run;
    struct group *g = get_group(mrb, self);
    mrb_value key, v;
    char path[PATH_MAX + 300];

    mrb_get_args(mrb, "oo", &key, &v);
    const char *f = generic_file(mrb, g, key);
    const struct mcg_setting *s = generic_setting(mrb, g, f);
    /* Where the group exists, name a missing file now rather than at create. */
    snprintf(path, sizeof(path), "%s/%s", g->dir, f);
    if (!run->dry_run && access(g->dir, F_OK) == 0 && access(path, F_OK) != 0) {
        char msg[PATH_MAX + 512];
        snprintf(msg, sizeof(msg), "%s: the %s controller has no file '%s' (%s: %s)", f,
                 mcg_ctrl_name(g->ctrl), f, path, strerror(errno));
        raise_at(mrb, policy_line(mrb), msg);
    }
    stage(mrb, g, s, f, s ? s->kind : MCG_K_TEXT, v);
    return v;
}

/* ---- module Mcgexec: what the policy may know about the run ---------- */

static mrb_value mcg_getenv(mrb_state *mrb, mrb_value self)
{
    const char *name;
    (void)self;
    mrb_get_args(mrb, "z", &name);
    const char *v = getenv(name);
    return v ? mrb_str_new_cstr(mrb, v) : mrb_nil_value();
}

static mrb_value mcg_environ(mrb_state *mrb, mrb_value self)
{
    mrb_value a = mrb_ary_new(mrb);
    (void)self;
    for (char **e = environ; e && *e; e++)
        mrb_ary_push(mrb, a, mrb_str_new_cstr(mrb, *e));
    return a;
}

static mrb_value mcg_dry_run_p(mrb_state *mrb, mrb_value self)
{
    (void)self;
    return mrb_bool_value(state_of(mrb)->run->dry_run);
}

static mrb_value mcg_pid(mrb_state *mrb, mrb_value self)
{
    (void)self;
    return mrb_fixnum_value(state_of(mrb)->run->pid);
}

/* Mcgexec.unique("ci/job") -> "ci/job-4242-9f3a1c": a name no other run
 * picks, from the pid (unique among running processes) and 24 random bits
 * (against pid reuse across hosts and containers). */
static mrb_value mcg_unique(mrb_state *mrb, mrb_value self)
{
    const char *prefix = "mcgexec";
    unsigned char rnd[3] = { 0 };
    char buf[512];
    (void)self;

    mrb_get_args(mrb, "|z", &prefix);
    if (getentropy(rnd, sizeof(rnd)) < 0)
        mrb_sys_fail(mrb, "getentropy");
    snprintf(buf, sizeof(buf), "%s-%d-%02x%02x%02x", prefix, (int)state_of(mrb)->run->pid,
             rnd[0], rnd[1], rnd[2]);
    return mrb_str_new_cstr(mrb, buf);
}

/* 1 or 2 (the cgroup version this host runs), nil where there is none. */
static mrb_value mcg_cgroup_version(mrb_state *mrb, mrb_value self)
{
    struct mcg_error err = { 0 };
    (void)self;
    int layout = mcg_layout(state_of(mrb)->run, &err);
    if (layout < 0)
        raise_err(mrb, &err);
    if (layout == MCG_LAYOUT_NONE)
        return mrb_nil_value();
    return mrb_fixnum_value(layout == MCG_LAYOUT_UNIFIED ? 2 : 1);
}

/* Mcgexec.percent_quota("150%", 100000) -> 150000, for the concise form. */
static mrb_value mcg_percent_quota(mrb_state *mrb, mrb_value self)
{
    mrb_value v;
    mrb_int period;
    int64_t quota;
    const char *why = "invalid CPU share (use a percentage of one CPU such as \"150%\")";
    (void)self;

    mrb_get_args(mrb, "oi", &v, &period);
    const char *s = mrb_string_p(v) ? mcg_cstr_of(mrb, v) : NULL;
    if (!s || mcg_parse_percent_quota(s, period, &quota, &why) < 0) {
        char msg[512];
        snprintf(msg, sizeof(msg), "cpu = %s: %s", RSTRING_CSTR(mrb, mrb_inspect(mrb, v)), why);
        raise_at(mrb, policy_line(mrb), msg);
    }
    return mrb_int_value(mrb, (mrb_int)quota);
}

/* ---- setting up the VM -------------------------------------------------- */

/* The Cgroup module and classes, and the Mcgexec helpers, for a VM whose
 * changes go through `run` (NULL: a run of its own, as the gem has in any
 * other mruby build: not a dry run, names under $MCGEXEC_ROOT). */
static struct policy_state *define_api(mrb_state *mrb, struct mcg_run *run)
{
    struct RClass *cg = mrb_define_module(mrb, "Cgroup");
    struct policy_state *st = calloc(1, sizeof(*st));

    if (!st)
        abort();
    if (!run) {
        const char *root = getenv("MCGEXEC_ROOT");
        st->own_run = malloc(sizeof(*st->own_run));
        if (!st->own_run)
            abort();
        mcg_run_init(st->own_run, 0, 0, root && *root ? root : NULL);
        run = st->own_run;
    }
    st->run = run;
    struct RData *holder = mrb_data_object_alloc(mrb, mrb->object_class, st, &state_type);
    mrb_gv_set(mrb, mrb_intern_lit(mrb, STATE_GVAR), mrb_obj_value(holder));

    st->error_class = mrb_define_class_under(mrb, cg, "Error", E_RUNTIME_ERROR);

    /* The shared methods live in the module, included by every class, as
     * in mruby-cgroup. */
    mrb_define_method(mrb, cg, "initialize", group_init, MRB_ARGS_REQ(1));
    mrb_define_method(mrb, cg, "initialize_copy", group_init_copy, MRB_ARGS_REQ(1));
    mrb_define_method(mrb, cg, "create", group_apply, MRB_ARGS_NONE());
    mrb_define_method(mrb, cg, "modify", group_apply, MRB_ARGS_NONE());
    mrb_define_method(mrb, cg, "open", group_apply, MRB_ARGS_NONE());
    mrb_define_method(mrb, cg, "delete", group_delete, MRB_ARGS_NONE());
    mrb_define_method(mrb, cg, "close", group_delete, MRB_ARGS_NONE());
    mrb_define_method(mrb, cg, "exist?", group_exist_p, MRB_ARGS_NONE());
    mrb_define_method(mrb, cg, "attach", group_attach, MRB_ARGS_OPT(1));
    mrb_define_method(mrb, cg, "detach", group_detach, MRB_ARGS_NONE());
    mrb_define_method(mrb, cg, "group_name", group_name, MRB_ARGS_NONE());
    mrb_define_method(mrb, cg, "[]", generic_get, MRB_ARGS_REQ(1));
    mrb_define_method(mrb, cg, "[]=", generic_set, MRB_ARGS_REQ(2));

    for (int c = 0; c < MCG_NCTRL; c++) {
        struct RClass *k = mrb_define_class_under(mrb, cg, mcg_class_names[c], mrb->object_class);
        MRB_SET_INSTANCE_TT(k, MRB_TT_DATA);
        mrb_include_module(mrb, k, cg);
        st->classes[c] = k;
    }
    for (size_t i = 0; i < mcg_nsettings; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        struct RClass *k = st->classes[s->ctrl];
        char setter[128];
        if (s->access & MCG_READ)
            mrb_define_method(mrb, k, s->method, setting_get, MRB_ARGS_NONE());
        if (s->access & MCG_WRITE) {
            snprintf(setter, sizeof(setter), "%s=", s->method);
            mrb_define_method(mrb, k, setter, setting_set, MRB_ARGS_REQ(1));
        }
    }

    struct RClass *m = mrb_define_module(mrb, "Mcgexec");
    mrb_define_module_function(mrb, m, "getenv", mcg_getenv, MRB_ARGS_REQ(1));
    mrb_define_module_function(mrb, m, "environ", mcg_environ, MRB_ARGS_NONE());
    mrb_define_module_function(mrb, m, "dry_run?", mcg_dry_run_p, MRB_ARGS_NONE());
    mrb_define_module_function(mrb, m, "pid", mcg_pid, MRB_ARGS_NONE());
    mrb_define_module_function(mrb, m, "cgroup_version", mcg_cgroup_version, MRB_ARGS_NONE());
    mrb_define_module_function(mrb, m, "unique", mcg_unique, MRB_ARGS_OPT(1));
    mrb_define_module_function(mrb, m, "percent_quota", mcg_percent_quota, MRB_ARGS_REQ(2));
    return st;
}

#ifdef MCGEXEC_GEM
/* Built as an mrbgem (mrbgem.rake): mruby's generated gem_init calls these,
 * then loads src/mrblib. */
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
    st = state_of(mrb);
    mcg_run_free(st->own_run);
    free(st->own_run);
    st->own_run = NULL;
    st->run = run;
#else
    /* mruby and every gem mruby_config.rb lists, then mcgexec's API */
    mrb_state *mrb = mrb_open();
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
    const char *fn = state_of(mrb)->filename;
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
    struct policy_state *st = state_of(mrb);
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
        mcg_fail(err, "%s: the policy raised %s, which could not be described", state_of(mrb)->filename,
                 mrb_obj_classname(mrb, d.exc));
    }
}

int mcg_policy_run(mrb_state *mrb, const char *code, size_t len, struct mcg_error *err)
{
    struct policy_state *st = state_of(mrb);
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
    return 0;
}

void mcg_policy_close(mrb_state *mrb)
{
    if (mrb)
        mrb_close(mrb); /* frees the state too (state_free) */
}
