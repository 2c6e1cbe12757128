/* The systemd manager's delegation decision (mcg_find_delegation,
 * src/core/systemd.c) from fixtures, without root or systemd: where
 * mcgexec is (its /proc/self/cgroup path), which cgroups carry systemd's
 * mark of a delegated subtree, which the caller may write, and what
 * systemd says of a unit (Delegate=, MainPID=), asked only where the
 * decision needs it.  Each case is a shape users run mcgexec in (man
 * mcgexec, SYSTEMD; the README's table of CI runners). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/run.h"
#include "core/run-internal.h"
#include "core/cgroup-manager.h"

#include "check.h"

/* ---- the fixture: the system as the decision sees it --------------------- */

static const char *const *marked;       /* dirs with systemd's mark */
static const char *const *not_writable; /* dirs the caller cannot write */
static struct { const char *unit; int delegate; pid_t main_pid; } answer;
static int asks, asked_user;
static char asked_unit[256];

static int in(const char *const *list, const char *dir)
{
    for (; list && *list; list++)
        if (strcmp(*list, dir) == 0)
            return 1;
    return 0;
}

static int fake_marked(const char *dir)
{
    return in(marked, dir);
}

static int fake_writable(const struct mcg_run *run, const char *dir)
{
    return !run->rootless || !in(not_writable, dir);
}

static int fake_ask(struct mcg_run *run, const char *unit, int user, struct mcg_unit_info *ui,
                    struct mcg_error *err)
{
    (void)run;
    (void)err;
    asks++;
    asked_user = user;
    snprintf(asked_unit, sizeof(asked_unit), "%s", unit);
    *ui = (struct mcg_unit_info){ .asked = 1 };
    if (answer.unit && strcmp(answer.unit, unit) == 0) {
        ui->delegate = answer.delegate;
        ui->main_pid = answer.main_pid;
    }
    return 0;
}

/* ---- one case ------------------------------------------------------------ */

struct expect {
    int r;                  /* 1 mark, 2 Delegate=yes, 3 inside another program's, 4 refused, 0 none */
    const char *root;       /* where names resolve (r 1-3) */
    const char *unit;       /* the unit holding it (r 0) */
    const char *outer;      /* the delegated cgroup (r 3, 4) */
    int asks;               /* systemd asked how often */
};

static void decide(const char *what, int rootless, const char *rel, const struct expect *e)
{
    struct mcg_run *run = mcg_run_new(&(struct mcg_run_opts){ 0 });
    char root[4096], unit[256], outer[4096];
    struct mcg_unit_info ui;
    struct mcg_error err = { 0 };

    run->rootless = rootless;
    mcg_set_path(&run->pos.v2_mount, "/cg");
    asks = asked_user = 0;
    asked_unit[0] = '\0';
    int r = mcg_find_delegation(run, rel, root, sizeof(root), unit, sizeof(unit), &ui, outer,
                                sizeof(outer), &err);
    CHECK(r == e->r, "%s: decision %d, not %d (%s)", what, r, e->r, err.msg);
    if (e->root && r >= 1 && r <= 3)
        CHECK(strcmp(root, e->root) == 0, "%s: names resolve below '%s', not '%s'", what, root,
              e->root);
    if (r == 0)
        CHECK(strcmp(unit, e->unit ? e->unit : "") == 0, "%s: unit '%s', not '%s'", what, unit,
              e->unit ? e->unit : "");
    if (e->outer)
        CHECK(strcmp(outer, e->outer) == 0, "%s: delegated cgroup '%s', not '%s'", what, outer,
              e->outer);
    CHECK(asks == e->asks, "%s: systemd asked %d times, not %d", what, asks, e->asks);
    mcg_run_free(run);
}

/* ---- the choice of manager: every combination of the facts ------------- */

static void choices(void)
{
    static const char *const asked_name[] = { "auto", "systemd", "cgroupfs" };
    int n = 0;

    for (int bits = 0; bits < 32; bits++)
        for (int asked = 0; asked < 3; asked++) {
            struct mcg_choice_facts f = {
                .unified = bits & 1, .systemd = (bits & 1) && (bits & 2), .ns_root = (bits & 4) != 0,
                .rootless = (bits & 8) != 0, .scope_forced = (bits & 16) != 0,
                .asked = (enum mcg_manager_choice)asked, .layout_name = bits & 1 ? "v2" : "v1",
            };
            const struct mcg_manager *m = NULL;
            const char *why = NULL;
            struct mcg_error err = { 0 };
            int r = mcg_choose_manager(&f, &m, &why, &err);
            char what[160];
            snprintf(what, sizeof(what), "--manager=%s%s on %s%s%s%s", asked_name[asked],
                     f.scope_forced ? " --scope" : "", f.unified ? "v2" : "v1",
                     f.systemd ? " with systemd" : "", f.ns_root ? ", a container" : "",
                     f.rootless ? ", a user" : "");
            int systemd_ok = f.unified && f.systemd;
            /* systemd is chosen exactly where it is asked for or auto, and
             * it runs a v2 host */
            int want_systemd = asked != MCG_MANAGER_CGROUPFS && systemd_ok;
            /* refused: --manager=systemd where it cannot, --scope without systemd */
            int want_refusal = (asked == MCG_MANAGER_SYSTEMD && !systemd_ok) ||
                               (f.scope_forced && !want_systemd);
            if (want_refusal) {
                CHECK(r == -1 && err.about_host && err.msg[0] && !strchr(err.msg, '\n'),
                      "%s: refused in one line about the host, not %d '%s'", what, r, err.msg);
                CHECK(strstr(err.msg, asked == MCG_MANAGER_SYSTEMD && !systemd_ok
                                          ? "--manager=systemd" : "--scope"),
                      "%s: the refusal names the option: '%s'", what, err.msg);
                continue;
            }
            CHECK(r >= 0 && m == (want_systemd ? &mcg_systemd_manager : &mcg_cgroupfs_manager),
                  "%s: %s, not %s (%d, %s)", what, m ? m->name : "none",
                  want_systemd ? "systemd" : "cgroupfs", r, err.msg);
            CHECK(why && *why, "%s: the reason for --verbose", what);
            /* a user left with the cgroupfs manager unasked is refused by the caller */
            CHECK(r == (f.rootless && !want_systemd && asked == MCG_MANAGER_AUTO),
                  "%s: %d (1: no manager for a user)", what, r);
            n++;
        }
    printf("the choice of manager: %d combinations chosen, the rest refused\n", n);
}

int main(void)
{
    choices();

    char user_svc[64], user_rel[256], user_cg[300];

    mcg_systemd_sys = (struct mcg_systemd_sys){ fake_marked, fake_writable, fake_ask };

    /* a unit with Delegate=yes: mcgexec is its program (ExecStart=mcgexec) */
    marked = (const char *const[]){ "/cg/system.slice/app.service", NULL };
    decide("ExecStart=mcgexec in a Delegate=yes service", 0, "system.slice/app.service",
           &(struct expect){ 1, "system.slice/app.service", NULL, "/cg/system.slice/app.service", 0 });
    /* a shell wrapper's mcgexec stepped into its leaf; the next one runs there */
    decide("a second mcgexec from the first one's leaf", 0,
           "system.slice/app.service/mcgexec.123",
           &(struct expect){ 1, "system.slice/app.service", NULL, NULL, 0 });
    /* cgroups another program made below its delegation: Slurm's task, an
     * outer mcgexec's job */
    marked = (const char *const[]){ "/cg/system.slice/host_slurmstepd.scope", NULL };
    decide("srun mcgexec in a Slurm task", 0,
           "system.slice/host_slurmstepd.scope/job_7/step_0/user/task_0",
           &(struct expect){ 3, "system.slice/host_slurmstepd.scope/job_7/step_0/user/task_0",
                             NULL, "/cg/system.slice/host_slurmstepd.scope", 0 });
    not_writable = (const char *const[]){ "/cg/system.slice/host_slurmstepd.scope", NULL };
    decide("a user's srun mcgexec: Slurm's subtree is root's", 1,
           "system.slice/host_slurmstepd.scope/job_7/step_0/user/task_0",
           &(struct expect){ 4, NULL, NULL, "/cg/system.slice/host_slurmstepd.scope", 0 });
    not_writable = NULL;
    marked = (const char *const[]){ "/cg/system.slice/outer.service", NULL };
    decide("mcgexec inside an outer mcgexec's job", 0, "system.slice/outer.service/job/inner",
           &(struct expect){ 3, "system.slice/outer.service/job/inner", NULL,
                             "/cg/system.slice/outer.service", 0 });

    /* no mark: a service is asked about, a scope is not */
    marked = NULL;
    answer.unit = "gitlab-runner.service";
    answer.delegate = 0;
    answer.main_pid = 100;
    decide("a CI runner's job (a service without Delegate=)", 0,
           "system.slice/gitlab-runner.service",
           &(struct expect){ 0, NULL, "gitlab-runner.service", NULL, 1 });
    CHECK(strcmp(asked_unit, "gitlab-runner.service") == 0 && !asked_user,
          "PID 1 was asked about the runner's service (%s, user %d)", asked_unit, asked_user);
    answer.delegate = 1;
    decide("Delegate=yes from a systemd that sets no mark (before 251)", 0,
           "system.slice/gitlab-runner.service",
           &(struct expect){ 2, "system.slice/gitlab-runner.service", NULL, NULL, 1 });
    not_writable = (const char *const[]){ "/cg/system.slice/gitlab-runner.service", NULL };
    decide("a user in a root service with Delegate=yes: not theirs", 1,
           "system.slice/gitlab-runner.service",
           &(struct expect){ 0, NULL, "gitlab-runner.service", NULL, 1 });
    not_writable = NULL;
    decide("a login session", 0, "user.slice/user-1000.slice/session-2.scope",
           &(struct expect){ 0, NULL, "session-2.scope", NULL, 0 });
    decide("the root cgroup (a container without systemd's units)", 0, "",
           &(struct expect){ 0, NULL, "", NULL, 0 });

    /* a user's own service: their user manager is asked, not PID 1 */
    snprintf(user_svc, sizeof(user_svc), "user@%u.service", (unsigned)geteuid());
    snprintf(user_rel, sizeof(user_rel), "user.slice/user-%u.slice/%s/app.slice/build.service",
             (unsigned)geteuid(), user_svc);
    answer.unit = "build.service";
    answer.delegate = 0;
    decide("a user service of the user's own manager", 1, user_rel,
           &(struct expect){ 0, NULL, "build.service", NULL, 1 });
    CHECK(asked_user == 1, "the user manager was asked about its own service");
    snprintf(user_cg, sizeof(user_cg), "/cg/%s", user_rel);
    marked = (const char *const[]){ user_cg, NULL };
    decide("a user service with Delegate=yes", 1, user_rel,
           &(struct expect){ 1, user_rel, NULL, user_cg, 0 });

    printf("%d checks, %d failed\n", checks, failures);
    return failures != 0;
}
