/* Joining after the policy: the groups the policy set up but did not
 * attach to are pending; once it returns, mcgexec joins the deepest in
 * each hierarchy (in place), or plans the joins for COMMAND's process to
 * make between fork and exec (--wait, --rm), and the supervisor leaves
 * for where it started. */
#define _GNU_SOURCE
#include "core/run.h"
#include "core/run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Do controllers c and d live in one hierarchy (v2, or co-mounted v1)? */
static int same_hier(const struct mcg_run *run, int c, int d)
{
    return strcmp(run->pos.hier[c].mount, run->pos.hier[d].mount) == 0;
}

int mcg_policy_attach(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                      struct mcg_error *err)
{
    if (pid == run->pid && run->opt.supervised) {
        /* COMMAND's group in this hierarchy: checked now, joined by
         * COMMAND's process; a later attach in the hierarchy replaces it */
        struct mcg_hier *h = NULL;
        if (mcg_hier_get(run, c, &h, err) < 0)
            return -1;
        if (!mcg_dir_exists(run, dir))
            return mcg_fail(err, "attach: group %s does not exist (call create first)", dir);
        for (size_t i = run->joins.attached.n; i-- > 0;)
            if (same_hier(run, ((struct group_ref *)run->joins.attached.items[i])->ctrl, c)) {
                struct group_ref *r = run->joins.attached.items[i];
                free(r->dir);
                free(r);
                mcg_list_remove(&run->joins.attached.any, i);
            }
        mcg_push_ref(&run->joins.attached, c, dir);
        return 0;
    }
    if (mcg_attach(run, c, dir, pid, err) < 0)
        return -1;
    if (pid == run->pid)
        run->pos.hier[c].explicit_attach = 1;
    return 0;
}

int mcg_add_pending(struct mcg_run *run, enum mcg_ctrl c, const char *dir)
{
    for (size_t i = 0; i < run->joins.pending.n; i++) {
        struct group_ref *p = run->joins.pending.items[i];
        if (p->ctrl == c && strcmp(p->dir, dir) == 0)
            return 0;
    }
    mcg_push_ref(&run->joins.pending, c, dir);
    return 0;
}

/* Which group COMMAND joins in each hierarchy (run->joins.join): the one the
 * policy attached mcgexec to in a supervised run, else the deepest pending
 * where they nest; one decision per hierarchy, none where the policy
 * placed mcgexec itself. */
static int plan_joins(struct mcg_run *run, struct mcg_error *err)
{
    for (int c = 0; c < MCG_NCTRL; c++) {
        const struct group_ref *target = NULL;
        int skip = !run->pos.hier[c].mount[0];

        run->joins.join[c] = NULL;
        for (int d = 0; d < MCG_NCTRL && !skip; d++)
            skip = same_hier(run, c, d) && (d < c || run->pos.hier[d].explicit_attach);
        int chosen = 0; /* the policy attached it: no deepest to find */
        for (size_t i = 0; i < run->joins.attached.n && !skip; i++)
            if (same_hier(run, c, ((struct group_ref *)run->joins.attached.items[i])->ctrl)) {
                target = run->joins.attached.items[i];
                chosen = 1;
            }
        for (size_t i = 0; i < run->joins.pending.n && !skip && !chosen; i++) {
            const struct group_ref *p = run->joins.pending.items[i];
            if (!same_hier(run, c, p->ctrl))
                continue;
            if (!target || mcg_path_within(p->dir, target->dir)) {
                target = p;     /* deeper (or first): join this one */
            } else if (!mcg_path_within(target->dir, p->dir)) {
                return mcg_fail(err,
                                "the policy set up %s and %s in one hierarchy and attached to "
                                "neither: a process is in one group of a hierarchy, so call "
                                "attach on the one the command should join",
                                target->dir, p->dir);
            }
        }
        char cur[PATH_MAX];
        if (target && !(mcg_cur_dir(&run->pos.hier[c], cur, sizeof(cur)) == 0 &&
                        strcmp(cur, target->dir) == 0))   /* not there already */
            run->joins.join[c] = target;
    }
    return 0;
}

static int join_pending_held(struct mcg_run *run, struct mcg_error *err)
{
    if (plan_joins(run, err) < 0)
        return -1;
    for (int c = 0; c < MCG_NCTRL; c++) {
        const struct group_ref *target = run->joins.join[c];
        if (target && mcg_attach(run, target->ctrl, target->dir, run->pid, err) < 0)
            return -1;
        run->joins.join[c] = NULL;
    }
    mcg_drop_leaf(run); /* mcgexec has left the leaf it stepped into, if it made one */
    return 0;
}

/* The job's groups where COMMAND joins them itself. */
static void note_planned_jobs(struct mcg_run *run)
{
    for (int c = 0; c < MCG_NCTRL; c++)
        for (int d = 0; d < MCG_NCTRL && run->pos.hier[c].mount[0]; d++)
            if (run->joins.join[d] && same_hier(run, c, d))
                mcg_note_job(run, (enum mcg_ctrl)c, run->joins.join[d]->dir);
}

int mcg_plan_child_joins(struct mcg_run *run, struct mcg_error *err)
{
    /* (v2 with the leaf mcgexec stepped into: the supervisor stays in it;
     * --rm's undo walk takes it home and removes the leaf after the job) */
    if (run->opt.dry_run)
        return mcg_join_pending(run, err);
    mcg_guard_hold();
    int r = plan_joins(run, err);
    mcg_guard_release();
    if (r < 0)
        return r;
    note_planned_jobs(run);
    for (int c = 0; c < MCG_NCTRL; c++)
        if (run->joins.join[c])
            mcg_log(run, "attach %s (the command, once started)", run->joins.join[c]->dir);
    return 0;
}

int mcg_join_planned(struct mcg_run *run, pid_t pid, struct mcg_error *err)
{
    for (int c = 0; c < MCG_NCTRL; c++)
        if (run->joins.join[c] && mcg_write_pid(run, run->joins.join[c]->ctrl, run->joins.join[c]->dir, pid, err) < 0)
            return -1;
    return 0;
}

const char *mcg_planned_birth(const struct mcg_run *run)
{
    const char *dir = NULL;

    if (!run->pos.v2_mount || !run->pos.v2_mount[0])
        return NULL;
    for (int c = 0; c < MCG_NCTRL; c++) {
        if (!run->joins.join[c])
            continue;
        if (dir || strcmp(run->pos.hier[c].mount, run->pos.v2_mount) != 0)
            return NULL; /* (one hierarchy on v2: one join at most) */
        dir = run->joins.join[c]->dir;
    }
    return dir;
}

int mcg_join_pending(struct mcg_run *run, struct mcg_error *err)
{
    mcg_guard_hold();
    int r = join_pending_held(run, err);
    mcg_guard_release();
    return r;
}

/* ---- for the supervisor ------------------------------------------------ */

void mcg_leave(struct mcg_run *run)
{
    /* First note where the job is in every hierarchy, before moving
     * changes the position of all controllers that share one (all of them
     * on v2): the group COMMAND joined itself, else the group the policy
     * attached mcgexec to.  Never mcgexec's own leaf, which holds the
     * supervisor and nothing of the job's. */
    note_planned_jobs(run);
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->pos.hier[c];
        if (h->mount[0] && !h->job[0] && !mcg_at_own_place(run, h))
            mcg_note_job(run, (enum mcg_ctrl)c, h->cur);
    }
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->pos.hier[c];
        char home[PATH_MAX], cur[PATH_MAX];
        if (!h->mount[0] || mcg_cur_dir(h, cur, sizeof(cur)) < 0)
            continue;
        /* v2 with a leaf: the start cgroup now serves children, the leaf is home */
        if (run->pos.self_leaf && strcmp(h->mount, run->pos.v2_mount) == 0)
            snprintf(home, sizeof(home), "%s", run->pos.self_leaf);
        else if (mcg_join_path(home, sizeof(home), h->mount, h->orig) < 0)
            continue;
        if (strcmp(home, cur) == 0)
            continue;
        char buf[32];
        snprintf(buf, sizeof(buf), "%d", (int)getpid());
        if (mcg_put_pid(run, home, buf) < 0)
            mcg_warn("cannot leave %s: %s", cur, strerror(errno));
        else
            mcg_set_cur(run, h, home);
    }
}

