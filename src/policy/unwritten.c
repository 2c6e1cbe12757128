/* Values a policy set that no create or modify has written yet.
 *
 * Setters only stage a value (as mruby-cgroup's); create or modify writes
 * it.  A value set after create without a modify, or on a group never
 * created, would leave COMMAND without that limit and nobody told, so
 * every staged value is noted here, by group directory and file, until a
 * write of that value reaches the kernel; what is left when the policy
 * returns is an error (mcg_check_unwritten).  The notes outlive the group
 * objects, which the GC may free first. */
#define _GNU_SOURCE
#include "policy/policy-internal.h"
#include "settings/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_c(const char *s)
{
    char *p = strdup(s);
    if (!p)
        abort();
    return p;
}

static void free_note(struct mcg_unwritten *u)
{
    free(u->dir);
    free(u->file);
    free(u->value);
    free(u->shown);
}

void mcg_free_unwritten(struct policy_state *st)
{
    for (size_t i = 0; i < st->nunwritten; i++)
        free_note(&st->unwritten[i]);
    free(st->unwritten);
    st->unwritten = NULL;
    st->nunwritten = st->capunwritten = 0;
}

static void drop_note(struct policy_state *st, size_t i)
{
    free_note(&st->unwritten[i]);
    st->unwritten[i] = st->unwritten[--st->nunwritten];
}

void mcg_note_unwritten(struct policy_state *st, enum mcg_ctrl ctrl, const char *dir,
                        const struct mcg_staged *e)
{
    struct mcg_unwritten *u = NULL;

    for (size_t i = 0; i < st->nunwritten && !u; i++)
        if (strcmp(st->unwritten[i].dir, dir) == 0 && strcmp(st->unwritten[i].file, e->file) == 0)
            u = &st->unwritten[i];
    if (u) {
        free(u->value);
        free(u->shown);
    } else {
        if (st->nunwritten == st->capunwritten) {
            size_t cap = st->capunwritten ? 2 * st->capunwritten : 8;
            struct mcg_unwritten *n = realloc(st->unwritten, cap * sizeof(*n));
            if (!n)
                abort();
            st->unwritten = n;
            st->capunwritten = cap;
        }
        u = &st->unwritten[st->nunwritten++];
        u->dir = dup_c(dir);
        u->file = dup_c(e->file);
    }
    u->value = dup_c(e->value);
    u->shown = dup_c(e->shown);
    u->ctrl = ctrl;
    u->line = e->line;
}

void mcg_forget_written(struct policy_state *st, const char *dir, const struct mcg_staged *staged,
                        size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const struct mcg_staged *e = &staged[k];
        for (size_t i = st->nunwritten; e->applied && i-- > 0;) {
            const struct mcg_unwritten *u = &st->unwritten[i];
            if (strcmp(u->dir, dir) == 0 && strcmp(u->file, e->file) == 0 &&
                strcmp(u->value, e->value) == 0)
                drop_note(st, i);
        }
    }
}

void mcg_forget_dir(struct policy_state *st, const char *dir)
{
    for (size_t i = st->nunwritten; i-- > 0;)
        if (strcmp(st->unwritten[i].dir, dir) == 0)
            drop_note(st, i);
}

int mcg_check_unwritten(struct policy_state *st, struct mcg_error *err)
{
    const struct mcg_unwritten *u = NULL;

    for (size_t i = 0; i < st->nunwritten; i++)
        if (!u || st->unwritten[i].line < u->line)
            u = &st->unwritten[i];
    if (!u)
        return 0;
    const char *name = mcg_group_name_of(st->run, u->ctrl, u->dir);
    char where[64] = "";
    if (u->line > 0)
        snprintf(where, sizeof(where), ":%d", u->line);
    if (mcg_dir_exists(st->run, u->dir))
        return mcg_fail(err, "%s%s: %s = %s was set on group %s after its create and never "
                             "written: call modify after setting it (or set it before create)",
                        st->filename, where, u->file, u->shown, name);
    return mcg_fail(err, "%s%s: %s = %s was set on group %s, which the policy never created: "
                         "call create after setting it",
                    st->filename, where, u->file, u->shown, name);
}

