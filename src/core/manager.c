/* Which manager a run has, and the entry points that reach it.
 *
 * Above the managers (src/core/cgroupfs.c, src/core/systemd.c) and discovery
 * (src/core/hierarchy.c), as crun's get_cgroup_manager sits above its managers:
 * --manager parsed; the choice made once the layout is known, and logged
 * with its reason; the one lazy entry (discover, then choose) that every
 * public operation of run.h passes through; and the manager's operations,
 * each under the signal guard, so that the journal they write is never
 * half-changed when a signal's undo walk reads it. */
#define _GNU_SOURCE
#include "core/run.h"
#include "core/run-internal.h"
#include "core/cgroup-manager.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const manager_names[] = {
    [MCG_MANAGER_AUTO] = "auto",
    [MCG_MANAGER_SYSTEMD] = "systemd",
    [MCG_MANAGER_CGROUPFS] = "cgroupfs",
};

int mcg_parse_manager(const char *s, enum mcg_manager_choice *out)
{
    for (size_t i = 0; i < sizeof(manager_names) / sizeof(manager_names[0]); i++)
        if (strcmp(s, manager_names[i]) == 0) {
            *out = (enum mcg_manager_choice)i;
            return 0;
        }
    return -1;
}

/* A run is made and ends here, above the managers, whose own state
 * begins and ends with it. */
struct mcg_run *mcg_run_new(const struct mcg_run_opts *o)
{
    struct mcg_run *run = malloc(sizeof(*run));
    if (!run)
        abort();
    mcg_run_init(run, o);
    mcg_systemd_begin(run);
    return run;
}

void mcg_run_free(struct mcg_run *run)
{
    if (!run)
        return;
    mcg_guard_forget(run); /* the atexit handler must not see it after this */
    mcg_systemd_forget(run);
    mcg_run_clear(run);
    free(run);
}

/* Is systemd PID 1 here?  The test sd_booted(3) makes. */
static int systemd_runs_host(void)
{
    return access("/run/systemd/system", F_OK) == 0;
}

/* Not root, and no systemd to delegate a cgroup: the kernel lets a user
 * write only cgroups an administrator made theirs, which --manager=cgroupfs
 * (with --root there) is for.  A dry run plans on (a user may check a
 * policy before asking for root) and counts this as the first place the
 * real run would be refused. */
static int refuse_rootless(struct mcg_run *run, int unified, struct mcg_error *err)
{
    if (!unified)
        mcg_fail(err, "uid %d has no cgroups of its own on this cgroup %s host (systemd "
                      "delegates cgroups to users only on cgroup v2): run mcgexec as root "
                      "(sudo), or give --manager=cgroupfs --root for a group an administrator "
                      "made yours", (int)geteuid(), mcg_layout_name(run));
    else
        mcg_fail(err, "uid %d has no cgroups of its own on this cgroup v2 %s: without systemd "
                      "nothing delegates one to a user; run mcgexec as root (sudo), or give "
                      "--manager=cgroupfs --root for a group an administrator made yours",
                 (int)geteuid(), run->pos.ns_root ? "container" : "host");
    if (run->opt.dry_run) {
        printf("#   would be refused: %s\n", err->msg);
        mcg_list_push(&run->dry.refused.any, xstrdup("(no manager for a user)"));
        memset(err, 0, sizeof(*err));
        return 0;
    }
    err->about_host = 1;
    return -1;
}

/* --manager auto: systemd where the host is unified and systemd runs it
 * (with --root too: systemd's rules say where it may be), the cgroup
 * filesystem otherwise (v1 and hybrid hosts, containers without systemd).
 * Adding a manager is a file of its own and a case here. */
int mcg_choose_manager(const struct mcg_choice_facts *f, const struct mcg_manager **out,
                       const char **why, struct mcg_error *err)
{
    const struct mcg_manager *m = &mcg_cgroupfs_manager;

    switch (f->asked) {
    case MCG_MANAGER_CGROUPFS:
        *why = "--manager=cgroupfs";
        break;
    case MCG_MANAGER_SYSTEMD:
        if (!f->unified) {
            mcg_fail(err, "--manager=systemd needs a cgroup v2 host; this one runs cgroup %s",
                     f->layout_name);
            err->about_host = 1;
            return -1;
        }
        if (!f->systemd) {
            mcg_fail(err, "--manager=systemd: systemd does not run this host "
                          "(no /run/systemd/system)");
            err->about_host = 1;
            return -1;
        }
        *why = "--manager=systemd";
        m = &mcg_systemd_manager;
        break;
    default:
        if (!f->unified)
            *why = "auto: the host runs cgroup v1";
        else if (!f->systemd)
            *why = "auto: systemd does not run this host";
        else {
            *why = f->ns_root ? "auto: cgroup v2, and systemd runs this container (PID 1 of its "
                                "cgroup namespace)"
                              : "auto: cgroup v2, and systemd runs this host";
            m = &mcg_systemd_manager;
        }
    }
    if (f->scope_forced && m != &mcg_systemd_manager) {
        /* (asked for by name: never a silent fallback to writing the
         * hierarchy, which is what --scope is to avoid) */
        if (f->asked == MCG_MANAGER_CGROUPFS)
            mcg_fail(err, "--scope asks systemd for a scope, and --manager=cgroupfs asks it for "
                          "nothing: give one of them");
        else
            mcg_fail(err, "--scope: systemd manages no cgroups here (%s); leave --scope out",
                     !f->unified ? "a cgroup v1 host: systemd delegates only on cgroup v2"
                                 : "systemd does not run this host");
        err->about_host = 1;
        return -1;
    }
    *out = m;
    return f->rootless && m != &mcg_systemd_manager && f->asked == MCG_MANAGER_AUTO;
}

static int choose(struct mcg_run *run, struct mcg_error *err)
{
    int unified = run->pos.layout == MCG_LAYOUT_UNIFIED;
    const struct mcg_choice_facts facts = {
        .unified = unified,
        .systemd = unified && systemd_runs_host(), /* (v1 hosts pay no system call for asking) */
        .ns_root = run->pos.ns_root,
        .rootless = run->rootless,
        .scope_forced = run->opt.scope_forced,
        .asked = run->opt.manager_choice,
        .layout_name = mcg_layout_name(run),
    };
    const struct mcg_manager *m = NULL;
    const char *why = NULL;
    int r = mcg_choose_manager(&facts, &m, &why, err);

    if (r < 0 || (r == 1 && refuse_rootless(run, unified, err) < 0))
        return -1;
    /* (set only once chosen: after a refusal the run has no manager, and
     * a policy that rescues the error gets an error again, never the
     * manager it was refused) */
    run->manager = m;
    mcg_log(run, "%smanager: %s (%s)", run->opt.dry_run ? "# " : "", run->manager->name, why);
    /* (a unit or script shared by v1 and v2 hosts may give it everywhere) */
    if (run->opt.slice_given && run->manager != &mcg_systemd_manager)
        mcg_log(run, "%s--slice %s: not used: the cgroupfs manager asks systemd for no scope",
                run->opt.dry_run ? "# " : "", run->opt.slice);
    return 0;
}

const char *mcg_manager_name(const struct mcg_run *run)
{
    return run->manager ? run->manager->name : "none";
}

int mcg_discover_and_choose(struct mcg_run *run, struct mcg_error *err)
{
    if (run->pos.discovered)
        return run->manager ? 0 : mcg_fail(err, "no cgroup manager: an earlier error said why");
    if (mcg_discover(run, err) < 0)
        return -1;
    return choose(run, err);
}

int mcg_layout(struct mcg_run *run, struct mcg_error *err)
{
    if (mcg_discover_and_choose(run, err) < 0)
        return -1;
    return (int)run->pos.layout;
}

int mcg_group_dir(struct mcg_run *run, enum mcg_ctrl c, const char *name, char *dir,
                  size_t len, struct mcg_error *err)
{
    struct mcg_hier *h = NULL;

    if (mcg_discover_and_choose(run, err) < 0 || mcg_hier_get(run, c, &h, err) < 0)
        return -1;
    /* where names resolve may depend on the first one (a scope's name) */
    if (!run->placed) {
        run->placed = 1;
        if (run->manager->place && run->manager->place(run, name, err) < 0)
            return -1;
    }
    return mcg_group_path(h, name, dir, len, err);
}

/* ---- the manager's operations, each under the signal guard ------------ */

int mcg_create(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
               struct mcg_error *err)
{
    if (mcg_discover_and_choose(run, err) < 0)
        return -1;
    mcg_guard_hold();
    int r = run->manager->create(run, c, dir, created, err);
    mcg_guard_release();
    return r;
}

int mcg_attach(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
               struct mcg_error *err)
{
    if (mcg_discover_and_choose(run, err) < 0)
        return -1;
    mcg_guard_hold();
    int r = run->manager->attach(run, c, dir, pid, err);
    mcg_guard_release();
    return r;
}

void mcg_drop_leaf(struct mcg_run *run)
{
    if (!run->manager || !run->manager->drop_leaf)
        return;
    mcg_guard_hold();
    run->manager->drop_leaf(run);
    mcg_guard_release();
}

int mcg_delete(struct mcg_run *run, enum mcg_ctrl c, const char *dir, struct mcg_error *err)
{
    if (mcg_discover_and_choose(run, err) < 0)
        return -1;
    mcg_guard_hold();
    int r = run->manager->delete(run, c, dir, err);
    mcg_guard_release();
    return r;
}
