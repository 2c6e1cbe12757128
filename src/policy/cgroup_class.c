/* Module Cgroup as policies see it (the mruby-cgroup API).
 *
 * A Cgroup::X object holds a validated group name, its directory and the
 * settings the policy staged; create/modify/open write exactly those
 * settings (as mruby-cgroup, setters only stage), getters read the kernel
 * each time, and every failure raises Cgroup::Error with the setting, the
 * value, the file and the errno text; what a policy set is noted until it
 * is written (unwritten.c).  The typed accessors are generated
 * from the settings table (settings.c); values are checked (convert.c)
 * when they are set, before anything reaches the kernel.
 */
#define _GNU_SOURCE
#include "policy/policy-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mruby/array.h>
#include <mruby/class.h>
#include <mruby/hash.h>
#include <mruby/data.h>
#include <mruby/string.h>

#include "settings/convert.h"
#include "settings/settings.h"
#include "base/values.h"

/* ---- the group object -------------------------------------------------- */

struct group {
    enum mcg_ctrl ctrl;
    char *name;
    char *dir; /* NULL until initialize has found it (a record's size is touched memory:
                * PATH_MAX in each one cost a page a group at start-up) */
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
    mrb_free(mrb, g->dir);
    mrb_free(mrb, g);
}

static const struct mrb_data_type group_type = { "Cgroup", group_free };

static struct group *get_group(mrb_state *mrb, mrb_value self)
{
    struct group *g = mrb_data_get_ptr(mrb, self, &group_type);
    if (!g || !g->dir)
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

/* A value as an error message shows it: whole up to 200 bytes, else its
 * start and its length, so that the message stays one readable line and
 * the kernel's reason at its end survives. */
static mrb_value shown_short(mrb_state *mrb, const char *s)
{
    size_t n = strlen(s);
    if (n <= 200)
        return mrb_str_new(mrb, s, (mrb_int)n);
    return mrb_format(mrb, "%l... (%i bytes)", s, (size_t)160, (mrb_int)n);
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
    struct policy_state *st = mcg_state_of(mrb);
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
        mcg_raise_at(mrb, -1, mrb_format(mrb, "invalid group name %v: %s",
                                         shown_short(mrb, RSTRING_CSTR(mrb, q)), why));
    }

    struct group *g = fresh_group(mrb, self);
    g->ctrl = (enum mcg_ctrl)ctrl;
    g->name = mrb_malloc(mrb, (size_t)len + 1);
    memcpy(g->name, name, (size_t)len);
    g->name[len] = '\0';
    char dir[PATH_MAX];
    if (mcg_group_dir(st->run, g->ctrl, g->name, dir, sizeof(dir), &err) < 0)
        mcg_raise_err(mrb, &err);
    g->dir = dup_mrb(mrb, dir);
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
    g->name = dup_mrb(mrb, o->name);
    g->dir = dup_mrb(mrb, o->dir);
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
    const char *why = NULL;
    mrb_value shown = mrb_inspect(mrb, v), text;
    int line = mcg_policy_line(mrb);
    struct mcg_error err = { 0 };

    if (s && mcg_setting_usable(mcg_state_of(mrb)->run, s, 1, &err) < 0)
        mcg_raise_at(mrb, line, mrb_str_new_cstr(mrb, err.msg));
    if (mcg_to_kernel(mrb, kind, v, &text, &why) < 0)
        mcg_raise_at(mrb, line, mrb_format(mrb, "%s = %v: %s", file,
                                           shown_short(mrb, RSTRING_CSTR(mrb, shown)), why));
    const char *value = RSTRING_CSTR(mrb, text);
    /* A second assignment before create replaces the first. */
    for (size_t i = 0; i < g->n; i++) {
        struct mcg_staged *e = &g->st[i];
        if (!e->applied && strcmp(e->file, file) == 0) {
            mrb_free(mrb, e->value);
            mrb_free(mrb, e->shown);
            e->value = dup_mrb(mrb, value);
            e->shown = dup_mrb(mrb, RSTRING_CSTR(mrb, shown));
            e->line = line;
            mcg_note_unwritten(mcg_state_of(mrb), g->ctrl, g->dir, e);
            return;
        }
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 4;
        g->st = mrb_realloc(mrb, g->st, g->cap * sizeof(*g->st));
    }
    g->st[g->n++] = (struct mcg_staged){ s, dup_mrb(mrb, file), dup_mrb(mrb, value),
                                     dup_mrb(mrb, RSTRING_CSTR(mrb, shown)), line, 0 };
    mcg_note_unwritten(mcg_state_of(mrb), g->ctrl, g->dir, &g->st[g->n - 1]);
}

static mrb_noreturn void raise_write(mrb_state *mrb, struct group *g, struct mcg_staged *e,
                                     struct mcg_error *err)
{
    size_t vl = strlen(e->value);
    int quoted_same = e->shown[0] == '"' && strncmp(e->shown + 1, e->value, vl) == 0 &&
                      strcmp(e->shown + 1 + vl, "\"") == 0;

    if (err->errnum == ENOENT && !e->setting)
        mcg_raise_at(mrb, e->line,
                     mrb_format(mrb, "%s = %v: the %s controller has no file '%s' (%s)",
                                e->file,
                                shown_short(mrb, e->shown), mcg_ctrl_name(g->ctrl), e->file,
                                err->msg));
    /* Show what reached the kernel when it differs from what the policy
     * wrote: memory.limit_in_bytes = "16M" (16777216). */
    if (strcmp(e->shown, e->value) != 0 && !quoted_same)
        mcg_raise_at(mrb, e->line, mrb_format(mrb, "%s = %v (%v): %s", e->file,
                                              shown_short(mrb, e->shown),
                                              shown_short(mrb, e->value), err->msg));
    mcg_raise_at(mrb, e->line, mrb_format(mrb, "%s = %v: %s", e->file, shown_short(mrb, e->shown),
                                          err->msg));
}

/* create, modify and open: make the group if needed, then write what the
 * policy staged since the last time, in the order it was set. */
static mrb_value group_apply(mrb_state *mrb, mrb_value self)
{
    struct mcg_run *run = mcg_state_of(mrb)->run;
    struct group *g = get_group(mrb, self);
    struct mcg_error err = { 0 };
    int created;

    if (mcg_create(run, g->ctrl, g->dir, &created, &err) < 0)
        mcg_raise_err(mrb, &err);
    size_t failed;
    if (mcg_apply_staged(run, g->dir, g->st, g->n, &failed, &err) < 0)
        raise_write(mrb, g, &g->st[failed], &err);
    mcg_forget_written(mcg_state_of(mrb), g->dir, g->st, g->n);
    mcg_add_pending(run, g->ctrl, g->dir);
    return self;
}

static mrb_value group_delete(mrb_state *mrb, mrb_value self)
{
    struct group *g = get_group(mrb, self);
    struct mcg_error err = { 0 };

    if (mcg_delete(mcg_state_of(mrb)->run, g->ctrl, g->dir, &err) < 0)
        mcg_raise_err(mrb, &err);
    mcg_forget_dir(mcg_state_of(mrb), g->dir);
    for (size_t i = 0; i < g->n; i++)
        g->st[i].applied = 0; /* a later create writes them again */
    return self;
}

static mrb_value group_exist_p(mrb_state *mrb, mrb_value self)
{
    struct group *g = get_group(mrb, self);
    return mrb_bool_value(mcg_dir_exists(mcg_state_of(mrb)->run, g->dir));
}

static mrb_value group_attach(mrb_state *mrb, mrb_value self)
{
    struct mcg_run *run = mcg_state_of(mrb)->run;
    struct group *g = get_group(mrb, self);
    struct mcg_error err = { 0 };
    mrb_value pv = mrb_nil_value();
    pid_t pid = mcg_run_pid(run);

    mrb_get_args(mrb, "|o", &pv);
    if (!mrb_nil_p(pv)) {
        if (!mrb_integer_p(pv) || mrb_integer(pv) <= 0 || mrb_integer(pv) > 0x7fffffff)
            mcg_raise_at(mrb, -1,
                         mrb_str_new_lit(mrb, "attach: the pid must be a positive Integer"));
        pid = (pid_t)mrb_integer(pv);
    }
    if (mcg_policy_attach(run, g->ctrl, g->dir, pid, &err) < 0)
        mcg_raise_err(mrb, &err);
    return self;
}

/* Back to the top: the hierarchy's root, or the --root group. */
static mrb_value group_detach(mrb_state *mrb, mrb_value self)
{
    struct mcg_run *run = mcg_state_of(mrb)->run;
    struct group *g = get_group(mrb, self);
    struct mcg_error err = { 0 };
    char top[PATH_MAX];

    if (mcg_group_dir(run, g->ctrl, "/", top, sizeof(top), &err) < 0 ||
        mcg_policy_attach(run, g->ctrl, top, mcg_run_pid(run), &err) < 0)
        mcg_raise_err(mrb, &err);
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
    struct mcg_run *run = mcg_state_of(mrb)->run;
    struct mcg_error err = { 0 };
    char *text = NULL;

    if (s && mcg_setting_usable(run, s, 0, &err) < 0)
        mcg_raise_at(mrb, -1, mrb_str_new_cstr(mrb, err.msg));
    if (!mcg_dir_exists(run, g->dir) || (mcg_dry_run(run) && access(g->dir, F_OK) != 0)) {
        for (size_t i = g->n; i-- > 0;) {
            const struct mcg_staged *e = &g->st[i];
            if (s ? e->setting == s : strcmp(e->file, file) == 0)
                return s ? mcg_from_kernel(mrb, s->kind, e->value)
                         : mcg_from_kernel_generic(mrb, e->value);
        }
        if (mcg_dry_run(run))
            return mrb_nil_value();
        mcg_raise_at(mrb, -1, mrb_format(mrb, "%s: group %s does not exist", file, g->dir));
    }
    if ((s ? mcg_read_setting(run, g->dir, s, &text, &err)
           : mcg_read(run, g->dir, file, &text, &err)) < 0)
        mcg_raise_err(mrb, &err);
    mrb_value v = s ? mcg_from_kernel(mrb, s->kind, text) : mcg_from_kernel_generic(mrb, text);
    free(text);
    return v;
}

static const struct mcg_setting *called_setting(mrb_state *mrb, struct group *g)
{
    const char *mid = mrb_sym_name(mrb, mrb_get_mid(mrb));
    const struct mcg_setting *s = mcg_setting_find(g->ctrl, mid);
    if (!s)
        mrb_raisef(mrb, E_NOTIMP_ERROR, "no setting %s", mid);
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
    const char *prefix = mcg_file_prefix(mcg_state_of(mrb)->run, g->ctrl);
    size_t plen = strlen(prefix);
    const char *f;

    if (mrb_symbol_p(key))
        key = mrb_sym_str(mrb, mrb_symbol(key));
    if (!mrb_string_p(key))
        mcg_raise_at(mrb, -1, mrb_str_new_lit(mrb, "control file name must be a String such as "
                                                   "\"memory.swappiness\""));
    f = mcg_cstr_of(mrb, key);
    if (!f || strncmp(f, prefix, plen) != 0 || f[plen] != '.' || !f[plen + 1] ||
        strchr(f, '/') || strlen(f) > 255) {
        /* (mrb_format's "!" would inspect the arguments after it too) */
        mcg_raise_at(mrb, -1, mrb_format(mrb, "%v is not a control file of the %s controller "
                                              "(%s.*)", mrb_inspect(mrb, key), prefix, prefix));
    }
    return f;
}

static mrb_value generic_get(mrb_state *mrb, mrb_value self)
{
    struct group *g = get_group(mrb, self);
    mrb_value key;

    mrb_get_args(mrb, "o", &key);
    const char *f = generic_file(mrb, g, key);
    const struct mcg_setting *s = mcg_setting_by_file(mcg_state_of(mrb)->run, g->ctrl, f);
    return read_setting(mrb, g, s, f);
}

static mrb_value generic_set(mrb_state *mrb, mrb_value self)
{
    struct mcg_run *run = mcg_state_of(mrb)->run;
    struct group *g = get_group(mrb, self);
    mrb_value key, v;

    mrb_get_args(mrb, "oo", &key, &v);
    const char *f = generic_file(mrb, g, key);
    const struct mcg_setting *s = mcg_setting_by_file(mcg_state_of(mrb)->run, g->ctrl, f);
    /* Where the group exists, name a missing file now rather than at create. */
    const char *path = RSTRING_CSTR(mrb, mrb_format(mrb, "%s/%s", g->dir, f));
    if (!mcg_dry_run(run) && access(g->dir, F_OK) == 0 && access(path, F_OK) != 0)
        mcg_raise_at(mrb, mcg_policy_line(mrb),
                     mrb_format(mrb, "%s: the %s controller has no file '%s' (%s: %s)", f,
                                mcg_ctrl_name(g->ctrl), f, path, strerror(errno)));
    stage(mrb, g, s, f, s ? s->kind : MCG_K_TEXT, v);
    return v;
}


/* ---- the module and classes ---------------------------------------------- */

void mcg_define_cgroup(mrb_state *mrb, struct policy_state *st)
{
    struct RClass *cg = mrb_define_module(mrb, "Cgroup");

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
        struct RClass *k = mrb_define_class_under(mrb, cg, mcg_controllers[c].class_name,
                                                  mrb->object_class);
        MRB_SET_INSTANCE_TT(k, MRB_TT_DATA);
        mrb_include_module(mrb, k, cg);
        st->classes[c] = k;
    }
    for (size_t i = 0; i < mcg_nsettings; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        struct RClass *k = st->classes[s->ctrl];
        if (s->access & MCG_READ)
            mrb_define_method(mrb, k, s->method, setting_get, MRB_ARGS_NONE());
        if (s->access & MCG_WRITE) {
            char setter[128]; /* (snprintf was a tenth of this function's time) */
            size_t n = strnlen(s->method, sizeof(setter) - 2);
            memcpy(setter, s->method, n);
            setter[n] = '=';
            setter[n + 1] = '\0';
            mrb_define_method(mrb, k, setter, setting_set, MRB_ARGS_REQ(1));
        }
    }
}

/* For the concise form (src/policy/mrblib/group.rb), from the same tables:
 * Mcgexec::CONTROLLERS, {"cpu" => Cgroup::CPU, ...} by v1 name, and
 * Mcgexec::CONCISE, {memory: {nil => [Cgroup::MEMORY, :limit_in_bytes=, false],
 * high: [Cgroup::MEMORY, :high=, false], ...}, read_bps: {nil =>
 * [Cgroup::BLKIO, :throttle_read_bps_device=, true]}, ...}: a row named
 * "memory" is the limit's value, one named "memory high" its keyword; the
 * last element says the value is a device and a number. */
void mcg_define_concise(mrb_state *mrb, struct policy_state *st, struct RClass *mcgexec)
{
    mrb_value ctrls = mrb_hash_new(mrb), concise = mrb_hash_new(mrb);

    for (int c = 0; c < MCG_NCTRL; c++)
        mrb_hash_set(mrb, ctrls, mrb_str_new_cstr(mrb, mcg_controllers[c].v1),
                     mrb_obj_value(st->classes[c]));
    for (size_t i = 0; i < mcg_nsettings; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        if (!s->concise)
            continue;
        size_t n = strcspn(s->concise, " ");
        mrb_value limit = mrb_symbol_value(mrb_intern(mrb, s->concise, n));
        mrb_value key = s->concise[n] ? mrb_symbol_value(mrb_intern_cstr(mrb, s->concise + n + 1))
                                      : mrb_nil_value();
        mrb_value forms = mrb_hash_get(mrb, concise, limit);
        if (mrb_nil_p(forms)) {
            forms = mrb_hash_new(mrb);
            mrb_hash_set(mrb, concise, limit, forms);
        }
        int device = s->kind == MCG_K_DEVRATE || s->kind == MCG_K_DEVBPS;
        mrb_value row[3] = {
            mrb_obj_value(st->classes[s->ctrl]),
            mrb_symbol_value(mrb_intern_str(mrb, mrb_format(mrb, "%s=", s->method))),
            mrb_bool_value(device),
        };
        mrb_hash_set(mrb, forms, key, mrb_ary_new_from_values(mrb, 3, row));
    }
    mrb_define_const(mrb, mcgexec, "CONTROLLERS", mrb_obj_freeze(mrb, ctrls));
    mrb_define_const(mrb, mcgexec, "CONCISE", mrb_obj_freeze(mrb, concise));
}
