/* The systemd manager (src/manager.h), and the choice of manager.
 *
 * On a cgroup v2 host whose PID 1 is systemd, systemd is the one writer of
 * the hierarchy: a program may change only a subtree systemd delegated to
 * it (systemd's docs/CGROUP_DELEGATION.md).  So this manager writes nothing
 * outside such a subtree:
 *  - where mcgexec's cgroup is delegated already (its unit has
 *    Delegate=yes: systemd's mark on the cgroup, or, for a service before
 *    systemd 251, which sets no mark, its Delegate property, which
 *    mcgexec-systemd reads), the groups go below it;
 *  - otherwise mcgexec asks systemd for a transient scope that holds
 *    mcgexec, with Delegate=yes, in --slice (as runc and crun ask for a
 *    container), when the policy names its first group; the groups go
 *    below the scope.  Where mcgexec is the main process of a service
 *    without Delegate=yes, the scope is bound to that service (BindsTo=),
 *    so that stopping the service stops the job.
 * Below the delegated cgroup the work is the cgroupfs manager's.  The scope
 * ends when its last process does; systemd then removes its cgroup with
 * every group below it.
 *
 * The D-Bus call is made by mcgexec-systemd (src/systemd-helper.c), which
 * links libsystemd: a statically linked mcgexec cannot load it. */
#define _GNU_SOURCE
#include "run.h"
#include "run-internal.h"
#include "manager.h"
#include "unitname.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MCGEXEC_SYSTEMD_HELPER
#define MCGEXEC_SYSTEMD_HELPER "/usr/libexec/mcgexec/mcgexec-systemd"
#endif

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

/* Is systemd PID 1 here?  The test sd_booted(3) makes. */
static int systemd_runs_host(void)
{
    return access("/run/systemd/system", F_OK) == 0;
}

/* --manager auto: systemd where the host is unified and systemd runs it,
 * the cgroup filesystem otherwise (v1 and hybrid hosts, containers without
 * systemd, and --root, which says where the groups go). */
int mcg_choose_manager(struct mcg_run *run, struct mcg_error *err)
{
    /* (v1 hosts pay no system call for asking) */
    int unified = run->layout == MCG_LAYOUT_UNIFIED, systemd = unified && systemd_runs_host();
    const char *why;

    run->manager = &mcg_cgroupfs_manager;
    switch (run->manager_choice) {
    case MCG_MANAGER_CGROUPFS:
        why = "--manager=cgroupfs";
        break;
    case MCG_MANAGER_SYSTEMD:
        if (!unified || !systemd) {
            if (!unified)
                mcg_fail(err, "--manager=systemd needs a cgroup v2 host; this one runs cgroup %s",
                         mcg_layout_name(run));
            else
                mcg_fail(err, "--manager=systemd: systemd does not run this host "
                              "(no /run/systemd/system)");
            err->about_host = 1;
            return -1;
        }
        why = "--manager=systemd";
        run->manager = &mcg_systemd_manager;
        break;
    default:
        if (!unified)
            why = "auto: the host runs cgroup v1";
        else if (!systemd)
            why = "auto: systemd does not run this host";
        else if (run->root)
            why = "auto: --root says where the groups go";
        else {
            why = "auto: cgroup v2, and systemd runs this host";
            run->manager = &mcg_systemd_manager;
        }
    }
    mcg_log(run, "%smanager: %s (%s)", run->dry_run ? "# " : "", run->manager->name, why);
    return 0;
}

/* Run mcgexec-systemd with argv; its one line of output, or why it
 * failed, into out.  -1 when it failed. */
static int run_helper(char *const argv[], char *out, size_t len)
{
    char *env[2] = { NULL, NULL }, *bus = getenv("DBUS_SYSTEM_BUS_ADDRESS"), *bus_env = NULL;
    posix_spawn_file_actions_t fa;
    int fds[2], status = 0, r;
    pid_t pid;

    /* the helper gets no environment but the bus's address */
    if (bus && asprintf(&bus_env, "DBUS_SYSTEM_BUS_ADDRESS=%s", bus) > 0)
        env[0] = bus_env;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(out, len, "pipe: %s", strerror(errno));
        free(bus_env);
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    r = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(bus_env);
    close(fds[1]);
    if (r != 0) {
        close(fds[0]);
        snprintf(out, len, "cannot run %s: %s", argv[0], strerror(r));
        return -1;
    }
    size_t got = 0;
    ssize_t n;
    while (got < len - 1 && ((n = read(fds[0], out + got, len - 1 - got)) > 0 ||
                             (n < 0 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    out[got] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    out[strcspn(out, "\n")] = '\0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (!out[0])
        snprintf(out, len, "%s failed (status %d)", argv[0], status);
    return -1;
}

/* Where mcgexec-systemd is: beside mcgexec (the build tree, a relocated
 * install), else where it is installed. */
static int find_helper(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash && snprintf(out, len, "%.*s/mcgexec-systemd", (int)(slash - self), self) <
                         (int)len && access(out, X_OK) == 0)
            return 0;
    }
    snprintf(out, len, "%s", MCGEXEC_SYSTEMD_HELPER);
    return access(out, X_OK);
}

/* A dry run: the slices and the scope that systemd would make are there
 * for the plan, which makes no mkdir of its own for them. */
static void plan_made_by_systemd(struct mcg_run *run, const char *cg)
{
    char dir[PATH_MAX];

    if (mcg_join_path(dir, sizeof(dir), run->unified, cg + 1) < 0)
        return;
    for (char *p = dir + strlen(run->unified) + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (!mcg_dir_exists(run, dir))
            mcg_list_push(&run->planned, xstrdup(dir));
        if (!saved)
            return;
        *p = saved;
    }
}

/* What a scope is asked for with: the log line of the call. */
static void log_call(struct mcg_run *run, const char *unit, const char *desc, const char *bound)
{
    const char *dry = run->dry_run ? "# " : "";

    if (bound)
        mcg_log(run, "%s%s has no Delegate=yes: the scope is bound to it, stopping it stops the job",
                dry, bound);
    mcg_log(run, "%ssystemd: StartTransientUnit %s, mode fail: Description=\"%s\" Slice=%s "
                 "Delegate=yes PIDs=%d CollectMode=inactive-or-failed%s%s",
            dry, unit, desc, run->slice, (int)run->pid, bound ? " BindsTo=" : "", bound ? bound : "");
}

/* A dry run: where the scope would be, and the plan's pretend slices. */
static int plan_scope(struct mcg_run *run, const char *unit, char *cg, size_t len,
                      struct mcg_error *err)
{
    char s[PATH_MAX];

    if (mcg_slice_dir(run->slice, s, sizeof(s)) < 0 ||
        snprintf(cg, len, "/%s%s%s", s, s[0] ? "/" : "", unit) >= (int)len)
        return mcg_fail(err, "the scope's path is too long (--slice %s)", run->slice);
    plan_made_by_systemd(run, cg);
    return 0;
}

/* Have systemd start scope `unit` (bound to service `bound`, if any) and
 * put its cgroup in cg: 0.  1 where systemd says `bound` has Delegate=yes
 * after all (systemd before 251 marks no delegated cgroup): no scope.
 * A dry run asks systemd nothing. */
static int start_scope(struct mcg_run *run, const char *unit, const char *bound, char *cg,
                       size_t len, struct mcg_error *err)
{
    char helper[PATH_MAX], pid[16], desc[64];

    snprintf(pid, sizeof(pid), "%d", (int)run->pid);
    snprintf(desc, sizeof(desc), "mcgexec's groups (pid %d)", (int)run->pid);
    if (run->dry_run) {
        log_call(run, unit, desc, bound);
        return plan_scope(run, unit, cg, len, err);
    }
    if (find_helper(helper, sizeof(helper)) < 0)
        return mcg_fail(err, "the systemd manager needs mcgexec-systemd (not found beside mcgexec "
                             "nor at %s: a build without libsystemd?); give --manager=cgroupfs "
                             "with --root, or run mcgexec in a unit with Delegate=yes",
                        MCGEXEC_SYSTEMD_HELPER);
    char *argv[] = { helper, "start-scope", (char *)unit, (char *)run->slice, pid, desc,
                     (char *)bound, NULL };
    if (run_helper(argv, cg, len) < 0)
        return mcg_fail(err, "systemd did not start %s for the groups: %s", unit, cg);
    if (strcmp(cg, "delegated") == 0)
        return 1;
    log_call(run, unit, desc, bound);
    /* where systemd put mcgexec: the scope's cgroup */
    size_t n = strlen(unit), at;
    cg[0] = '/';
    if (mcg_read_proc_cgroup(run, run->pid, MCG_CPUACCT, cg + 1, len - 1) < 0 ||
        (at = strlen(cg)) < n + 1 || strcmp(cg + at - n, unit) != 0 || cg[at - n - 1] != '/')
        return mcg_fail(err, "systemd started %s, but mcgexec is not in it (it is in %s)", unit, cg);
    mcg_log(run, "systemd started %s: %s%s", unit, run->unified, cg);
    return 0;
}

/* mcgexec's cgroup is now `rel` in every hierarchy (systemd moved it into
 * its scope, or it was there), and group names resolve below it. */
static void settle_in(struct mcg_run *run, const char *rel)
{
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->hier[c];
        if (!h->mount[0])
            continue;
        mcg_set_path(&h->orig, rel);
        mcg_set_path(&h->cur, rel);
        mcg_set_path(&h->base, rel);
    }
}

/* When the policy names its first group: below mcgexec's own cgroup where
 * systemd delegated it (its mark, or for a service systemd's word), else
 * below a scope of its own. */
static int systemd_place(struct mcg_run *run, const char *first, struct mcg_error *err)
{
    const char *dry = run->dry_run ? "# " : "";
    struct mcg_hier *h = NULL;
    char unit[160], cg[PATH_MAX], own[PATH_MAX], home[PATH_MAX];

    for (int c = 0; c < MCG_NCTRL && !h; c++)
        if (run->hier[c].mount[0])
            h = &run->hier[c];
    if (!h)
        return 0; /* no controller: mcg_hier_get says so */
    snprintf(home, sizeof(home), "%s", h->orig);
    if (home[0] && mcg_join_path(own, sizeof(own), h->mount, home) == 0 && mcg_delegated(own)) {
        mcg_log(run, "%s%s is delegated (Delegate=yes): group names resolve below it", dry, own);
        settle_in(run, home);
        return 0;
    }
    mcg_scope_name(first, run->pid, unit, sizeof(unit));
    int r = start_scope(run, unit, mcg_service_of(home), cg, sizeof(cg), err);
    if (r < 0)
        return -1;
    if (r == 1) {
        mcg_log(run, "%s%s/%s is delegated (systemd says Delegate=yes): group names resolve "
                     "below it", dry, run->unified, home);
        settle_in(run, home);
        return 0;
    }
    mcg_log(run, "%sgroup names resolve below %s%s", dry, run->unified, cg);
    settle_in(run, cg + 1);
    return 0;
}

const struct mcg_manager mcg_systemd_manager = {
    .name = "systemd",
    .setup = mcg_discover,
    .place = systemd_place,
    .create = mcg_cgroupfs_create,
    .attach = mcg_cgroupfs_attach,
    .destroy = mcg_cgroupfs_destroy,
};
