/* The systemd manager (src/core/cgroup-manager.h).
 *
 * On a cgroup v2 host whose PID 1 is systemd, systemd is the one writer of
 * the hierarchy: a program may change only a subtree systemd delegated to
 * it (systemd's docs/CGROUP_DELEGATION.md).  So this manager writes nothing
 * outside such a subtree.  When the policy names its first group:
 *  - where mcgexec's cgroup is in a delegated subtree (its unit has
 *    Delegate=yes: systemd's mark on the unit's cgroup or a cgroup below
 *    it, such as the leaf an earlier mcgexec moved a shell wrapper into;
 *    or, for a unit without the mark, systemd before 251, its Delegate
 *    property, which mcgexec-systemd reads), the groups go below the
 *    delegated cgroup (with --root, below that root, which must be in
 *    such a subtree); but where mcgexec is deeper, in cgroups another
 *    program made there (Slurm's job_N/step_M/user/task_K in its
 *    slurmstepd.scope), that program owns them, and the groups go below
 *    mcgexec's own cgroup, removed when the job ends (a user there is
 *    refused rather than moved out of them);
 *  - where mcgexec is a service's own program (its main or control
 *    process, or a child of one: a shell its ExecStart= runs) and the
 *    service has no Delegate=yes, it refuses: a scope of its own would
 *    take the service's work out of it (its limits and accounting), and
 *    the service's own cgroup is systemd's; --scope says to go anyway;
 *  - elsewhere (a job deeper in a service's process tree: a CI runner's;
 *    a login session, a scope) mcgexec asks systemd for a transient scope
 *    that holds it, with Delegate=yes, in --slice (as runc and crun ask
 *    for a container), and the groups go below the scope, which ends when
 *    its last process does; systemd then removes its cgroup with every
 *    group below it.  A scope made for a job of a service is bound to the
 *    service (BindsTo=): stopping the runner stops the scope, which sends
 *    --timeout-signal, then SIGKILL after --kill-after, as a cancellation
 *    does, whether or not mcgexec is still alive; and since systemd does
 *    not pass a restart on to a scope, mcgexec stays as the job's
 *    supervisor and ends it the same way when the service's main process
 *    ends.  A scope left from a login session is bound to nothing: its
 *    processes outlive it by design;
 *  - with --scope, a scope of its own wherever mcgexec is, bound as above.
 * Below the delegated cgroup the work is the cgroupfs manager's.
 *
 * Not root, mcgexec asks the user's own manager (user@UID.service), which
 * systemd delegates cpu, memory and pids to (since 252; more with an
 * administrator's drop-in), the way systemd-run --user does: its scope
 * lands in the user's tree, in app.slice by default.  A job of a system
 * service running as the user (a CI runner's account) gets a user scope
 * too, which no unit of PID 1 can be bound to: there the supervisor alone
 * ends the job with the service.
 *
 * The D-Bus calls are made by mcgexec-systemd (src/core/systemd-helper.c), which
 * links libsystemd: a statically linked mcgexec cannot load it. */
#define _GNU_SOURCE
#include "core/run.h"
#include "core/run-internal.h"
#include "core/cgroup-manager.h"
#include "base/subprocess.h"
#include "base/unitname.h"
#include "base/xalloc.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MCGEXEC_SYSTEMD_HELPER
#define MCGEXEC_SYSTEMD_HELPER "/usr/libexec/mcgexec/mcgexec-systemd"
#endif

/* The user manager's runtime directory, once found (user_runtime), for a
 * run without root; "" asks PID 1. */
void mcg_systemd_begin(struct mcg_run *run)
{
    run->systemd.unit_watch = -1;
}

void mcg_systemd_forget(struct mcg_run *run)
{
    free(run->systemd.own_scope);
    run->systemd.own_scope = NULL;
    if (run->systemd.unit_watch >= 0)
        close(run->systemd.unit_watch);
    run->systemd.unit_watch = -1;
    free(run->systemd.unit_watched);
    run->systemd.unit_watched = NULL;
    free(run->systemd.user_dir);
    run->systemd.user_dir = NULL;
}

int mcg_unit_watch(const struct mcg_run *run, const char **unit)
{
    *unit = run->systemd.unit_watched;
    return run->systemd.unit_watch;
}

int mcg_in_own_scope(const struct mcg_run *run, const char *dir)
{
    return run->systemd.own_scope && mcg_path_within(dir, run->systemd.own_scope);
}

int mcg_rm_forced(const struct mcg_run *run)
{
    return run->systemd.rm_forced;
}

/* Run mcgexec-systemd `helper` with args (NULL-terminated, at most 12),
 * asking the user manager whose runtime directory is `user_dir` (found by
 * user_runtime), or PID 1 where it is NULL;
 * its one line of output, or why it failed, into out.  -1 when it failed.
 * It gets no environment but the system bus's address. */
static int run_helper(const char *helper, const char *user_dir, const char *const args[],
                      char *out, size_t len)
{
    char *env[2] = { NULL, NULL }, *bus = getenv("DBUS_SYSTEM_BUS_ADDRESS"), *bus_env = NULL;
    const char *argv[16];
    size_t n = 0;

    argv[n++] = helper;
    if (user_dir) {
        argv[n++] = "--user";
        argv[n++] = user_dir;
    }
    for (size_t i = 0; args[i] && n < sizeof(argv) / sizeof(argv[0]) - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (bus && asprintf(&bus_env, "DBUS_SYSTEM_BUS_ADDRESS=%s", bus) > 0)
        env[0] = bus_env;
    int r = mcg_spawn_read((char *const *)argv, env, 1, out, len);
    free(bus_env);
    return r;
}

/* Why no user manager answers below user_dir, or 0 where one may: its
 * socket missing (none started; or its runtime directory went with it,
 * which logind removes a moment after the manager stops), or, where `ask`,
 * nothing listening on it (a manager that stopped while the directory
 * stays, as with linger).  Asking is a connect(2) and nothing more: the
 * manager sees a peer that closes before it says a word; a run's start
 * only looks for the socket, the helper's connect asks. */
int mcg_user_manager_absent(const char *user_dir, int ask, char *why, size_t len)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char sock[PATH_MAX + 32];
    int fd, r = 0;

    snprintf(sock, sizeof(sock), "%s/systemd/private", user_dir);
    if (access(sock, F_OK) != 0) {
        snprintf(why, len, "no %s", sock);
        return 1;
    }
    /* (a path too long for sun_path: the helper says what is wrong with it) */
    if (!ask || strlen(sock) >= sizeof(sa.sun_path) ||
        (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return 0;
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
        (errno == ENOENT || errno == ECONNREFUSED)) {
        snprintf(why, len, errno == ENOENT ? "no %s" : "nothing listens on %s", sock);
        r = 1;
    }
    close(fd);
    return r;
}

/* The one line for a user without a running manager. */
static void no_user_manager(struct mcg_error *err, const char *why)
{
    /* (a CI runner's account is a system user that never logs in) */
    unsigned uid = (unsigned)geteuid();
    struct passwd *pw = getpwuid(uid);
    char who[64];

    snprintf(who, sizeof(who), "%s", pw && pw->pw_name ? pw->pw_name : "USER");
    mcg_fail(err, "no systemd user manager runs for uid %u (%s): a login starts one; for "
                  "an account that never logs in (a CI runner's), root can start it at boot "
                  "with 'loginctl enable-linger %s', or run the job as root (sudo mcgexec "
                  "--user %s ...), or give the runner's service Delegate=yes",
             uid, why, who, who);
    err->about_host = 1;
}

/* After the helper failed to reach the user manager below user_dir: a
 * manager that has stopped since user_runtime found its socket gets the
 * line of none at all (1), not the helper's connect error (0). */
static int user_manager_gone(const char *user_dir, struct mcg_error *err)
{
    char why[PATH_MAX + 64];

    if (!mcg_user_manager_absent(user_dir, 1, why, sizeof(why)))
        return 0;
    no_user_manager(err, why);
    return 1;
}

/* Not root: where the user manager listens.  $XDG_RUNTIME_DIR, which must
 * be the caller's (plain su keeps another user's); without it (su -l,
 * sudo -u, cron, a system service running as the user) /run/user/UID when
 * it is the caller's alone, mode 0700, as Podman does.  Its private socket
 * must be there: without it no user manager runs. */
static int user_runtime(struct mcg_run *run, struct mcg_error *err)
{
    const char *env = getenv("XDG_RUNTIME_DIR");
    unsigned uid = (unsigned)geteuid();
    char user_dir[PATH_MAX], why[PATH_MAX + 64];
    struct stat st;

    if (run->systemd.user_dir)
        return 0; /* found earlier in this run */
    if (env && *env) {
        snprintf(user_dir, sizeof(user_dir), "%s", env);
        if (stat(user_dir, &st) == 0 && st.st_uid != uid) {
            mcg_fail(err, "XDG_RUNTIME_DIR=%s is not yours (its owner is uid %u; su without -l "
                          "keeps the caller's): unset it or set it to /run/user/%u",
                     user_dir, (unsigned)st.st_uid, uid);
            goto refused;
        }
    } else {
        snprintf(user_dir, sizeof(user_dir), "/run/user/%u", uid);
        if (stat(user_dir, &st) == 0 && (st.st_uid != uid || (st.st_mode & 07777) != 0700)) {
            mcg_fail(err, "XDG_RUNTIME_DIR is not set, and %s is not yours alone (owner uid %u, "
                          "mode %04o, where the user manager's is yours with mode 0700)",
                     user_dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
            goto refused;
        }
    }
    if (mcg_user_manager_absent(user_dir, 0, why, sizeof(why))) {
        no_user_manager(err, why);
        goto refused;
    }
    mcg_log(run, "%ssystemd: the user manager of uid %u, at %s/systemd/private%s",
            run->opt.dry_run ? "# " : "", uid, user_dir,
            env && *env ? "" : " (XDG_RUNTIME_DIR is not set: /run/user/UID is yours, mode 0700)");
    run->systemd.user_dir = xstrdup(user_dir);
    return 0;
refused:
    err->about_host = 1;
    return -1;
}

/* Where mcgexec-systemd is: beside mcgexec (the build tree), in
 * ../libexec/mcgexec/ from it (an install under any prefix, the .deb),
 * else where this build installs it. */
static int find_helper(char *out, size_t len)
{
    static const char *const beside[] = { "", "/../libexec/mcgexec" };
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        for (size_t i = 0; slash && i < sizeof(beside) / sizeof(beside[0]); i++)
            if (snprintf(out, len, "%.*s%s/mcgexec-systemd", (int)(slash - self), self,
                         beside[i]) < (int)len && access(out, X_OK) == 0)
                return 0;
    }
    snprintf(out, len, "%s", MCGEXEC_SYSTEMD_HELPER);
    return access(out, X_OK);
}

/* Ask the manager (a user's, where user_dir is its runtime directory) to
 * stop `unit`: the reclaim's, for a dead run's scope left empty. */
int mcg_systemd_stop(const char *unit, const char *user_dir)
{
    char helper[PATH_MAX], out[256];
    const char *args[] = { "stop", unit, NULL };
    if (find_helper(helper, sizeof(helper)) < 0)
        return -1;
    return run_helper(helper, user_dir, args, out, sizeof(out));
}

int mcg_systemd_unit_cgroup(const char *unit, const char *user_dir, char *out, size_t len)
{
    char helper[PATH_MAX];
    const char *args[] = { "control-group", unit, NULL };
    if (find_helper(helper, sizeof(helper)) < 0) {
        snprintf(out, len, "mcgexec-systemd not found");
        return -1;
    }
    if (run_helper(helper, user_dir, args, out, len) < 0)
        return -1;
    if (strcmp(out, "-") == 0)
        out[0] = '\0';
    return 0;
}

/* A dry run: the slices and the scope that systemd would make are there
 * for the plan, which makes no mkdir of its own for them. */
static void plan_made_by_systemd(struct mcg_run *run, const char *cg)
{
    char dir[PATH_MAX];

    if (mcg_join_path(dir, sizeof(dir), run->pos.v2_mount, cg + 1) < 0)
        return;
    for (char *p = dir + strlen(run->pos.v2_mount) + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (!mcg_dir_exists(run, dir))
            mcg_list_push(&run->dry.pretend.any, xstrdup(dir));
        if (!saved)
            return;
        *p = saved;
    }
}

/* A dry run: where the scope would be, and the plan's pretend slices:
 * below the manager's own cgroup (the user manager's, user@UID.service,
 * which mcgexec-systemd asks it for; PID 1's is the root). */
static int plan_scope(struct mcg_run *run, const char *helper, const char *unit, char *cg,
                      size_t len, struct mcg_error *err)
{
    char s[PATH_MAX], top[PATH_MAX] = "";

    if (run->rootless) {
        const char *args[] = { "control-group", NULL };
        if (run_helper(helper, run->systemd.user_dir, args, top, sizeof(top)) < 0)
            return user_manager_gone(run->systemd.user_dir, err)
                       ? -1
                       : mcg_fail(err, "cannot ask the user manager for its cgroup: %s", top);
        if (strcmp(top, "/") == 0)
            top[0] = '\0';
    }
    if (mcg_slice_dir(run->opt.slice, s, sizeof(s)) < 0 ||
        snprintf(cg, len, "%s/%s%s%s", top, s, s[0] ? "/" : "", unit) >= (int)len)
        return mcg_fail(err, "the scope's path is too long (--slice %s)", run->opt.slice);
    if (run->rootless && asprintf(&run->dry.offers, "%s%s", run->pos.v2_mount, top) < 0)
        run->dry.offers = NULL;
    plan_made_by_systemd(run, cg);
    return 0;
}

/* The helper, or the error that names it (a dry run checks it too: the
 * real run would need it). */
static int need_helper(char *helper, size_t len, struct mcg_error *err)
{
    if (find_helper(helper, len) == 0)
        return 0;
    return mcg_fail(err, "the systemd manager needs mcgexec-systemd (not found beside mcgexec, "
                         "in ../libexec/mcgexec from it, nor at %s: a build without "
                         "libsystemd?); give --manager=cgroupfs with --root, or run mcgexec "
                         "in a unit with Delegate=yes", MCGEXEC_SYSTEMD_HELPER);
}

/* The scope's description, as systemd-run's names its command:
 * "mcgexec: COMMAND ARGS", cut at a length systemctl status shows whole. */
static void describe(const struct mcg_run *run, char *desc, size_t len)
{
    size_t at = (size_t)snprintf(desc, len, "mcgexec:");

    for (char *const *a = run->opt.command; a && *a && at < len - 1; a++)
        at += (size_t)snprintf(desc + at, len - at, " %s", *a);
    /* (one line in systemctl status and in the log: a script's newlines
     * and tabs as spaces) */
    for (char *p = desc; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    if (at >= len - 1 && len > 4)
        strcpy(desc + len - 4, "...");
}

/* What stopping the scope sends, and after how long SIGKILL: mcgexec's
 * --timeout-signal and --kill-after, so that a stop (of the scope, or of
 * the service it is bound to) ends the job as a cancellation does. */
static void stop_grace(const struct mcg_run *run, int *sig, unsigned long long *usec)
{
    *sig = run->opt.stop_grace > 0 ? run->opt.stop_signal : SIGKILL;
    *usec = run->opt.stop_grace > 0 ? (unsigned long long)(run->opt.stop_grace * 1e6) : 1;
    if (*usec == 0)
        *usec = 1; /* (0 would mean no timeout at all to systemd) */
}

/* The log line of the StartTransientUnit call: what a dry run would ask,
 * what --verbose says was asked. */
static void log_call(struct mcg_run *run, const char *unit, const char *desc,
                     const char *binds_to)
{
    int sig;
    unsigned long long usec;

    stop_grace(run, &sig, &usec);
    mcg_log(run, "%ssystemd%s: StartTransientUnit %s, mode fail: Description=\"%s\" Slice=%s "
                 "Delegate=yes PIDs=%d CollectMode=inactive-or-failed KillSignal=SIG%s "
                 "TimeoutStopUSec=%llu%s%s",
            run->opt.dry_run ? "# " : "", run->rootless ? " (user manager)" : "", unit, desc,
            run->opt.slice, (int)run->pid, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", usec,
            binds_to ? " BindsTo=" : "", binds_to ? binds_to : "");
}

/* Have systemd start scope `unit` and put its cgroup in cg.  A dry run
 * asks systemd nothing. */
static int start_scope(struct mcg_run *run, const char *unit, const char *binds_to, char *cg,
                       size_t len, struct mcg_error *err)
{
    char helper[PATH_MAX], pid[16], desc[128], sig_s[16], usec_s[32];
    int sig;
    unsigned long long usec;

    stop_grace(run, &sig, &usec);
    snprintf(pid, sizeof(pid), "%d", (int)run->pid);
    snprintf(sig_s, sizeof(sig_s), "%d", sig);
    snprintf(usec_s, sizeof(usec_s), "%llu", usec);
    describe(run, desc, sizeof(desc));
    if (need_helper(helper, sizeof(helper), err) < 0 ||
        (run->rootless && user_runtime(run, err) < 0))
        return -1;
    if (run->opt.dry_run) {
        log_call(run, unit, desc, binds_to);
        return plan_scope(run, helper, unit, cg, len, err);
    }
    const char *args[] = { "start-scope", unit, run->opt.slice, pid, desc, sig_s, usec_s,
                           binds_to ? binds_to : "-", NULL };
    /* Named before it is asked for: a SIGKILL after systemd has moved
     * mcgexec in, and before the `scope` line below, can leave a scope
     * that systemd keeps running although it is empty (it missed the
     * emptying, which came while it was starting it; the helper's check
     * that mcgexec lives can come just before its death).  The reclaim
     * stops it from this line. */
    mcg_state_starting(run, unit, run->rootless ? run->systemd.user_dir : NULL);
    if (run_helper(helper, run->rootless ? run->systemd.user_dir : NULL, args, cg, len) < 0) {
        if (run->rootless && user_manager_gone(run->systemd.user_dir, err))
            return -1;
        return mcg_fail(err, "%s did not start %s for the groups: %s",
                        run->rootless ? "the systemd user manager" : "systemd", unit, cg);
    }
    log_call(run, unit, desc, binds_to);
    /* where systemd put mcgexec: the scope's cgroup */
    size_t n = strlen(unit), at;
    cg[0] = '/';
    if (mcg_read_proc_cgroup(run, run->pid, MCG_V2_HIER, cg + 1, len - 1) < 0 ||
        (at = strlen(cg)) < n + 1 || strcmp(cg + at - n, unit) != 0 || cg[at - n - 1] != '/')
        return mcg_fail(err, "systemd started %s, but mcgexec is not in it (it is in %s)", unit, cg);
    mcg_log(run, "systemd started %s: %s%s", unit, run->pos.v2_mount, cg);
    /* (what this run does inside goes with the scope: src/core/undo.c; a
     * reclaim after a SIGKILL finds it in the run's state) */
    if (asprintf(&run->systemd.own_scope, "%s%s", run->pos.v2_mount, cg) < 0)
        run->systemd.own_scope = NULL;
    else
        mcg_state_scope(run, unit, run->systemd.own_scope,
                        run->rootless ? run->systemd.user_dir : NULL);
    return 0;
}

/* Is the delegated cgroup `dir` the caller's?  Always for root; a user's
 * only where systemd handed it to them (it chowns a delegated cgroup to
 * the unit's User=), so that a user inside another program's delegated
 * subtree (a Slurm job's task, a shell that switched users inside a
 * delegated service) gets one line naming --scope rather than a
 * Permission denied, and is never moved out of it unasked. */
static int sys_writable(const struct mcg_run *run, const char *dir)
{
    static const char *const files[] = { "", "/cgroup.procs", "/cgroup.subtree_control" };
    char f[PATH_MAX + 32];

    for (size_t i = 0; run->rootless && i < sizeof(files) / sizeof(files[0]); i++)
        if (snprintf(f, sizeof(f), "%s%s", dir, files[i]) >= (int)sizeof(f) ||
            access(f, W_OK) != 0)
            return 0;
    return 1;
}

/* Is the unit whose cgroup ends at rel + end one of the user manager's
 * (below user@UID.service)? */
static int user_managers_unit(const char *rel, size_t end)
{
    char mark[64];
    int n = snprintf(mark, sizeof(mark), "user@%u.service/", (unsigned)geteuid());
    const char *at = strstr(rel, mark);

    return at && (at == rel || at[-1] == '/') && (size_t)(at - rel) + (size_t)n <= end;
}


/* Ask the manager of `unit` (the user's where `user`, else PID 1) about it. */
static int sys_ask_unit(struct mcg_run *run, const char *unit, int user, struct mcg_unit_info *ui,
                        struct mcg_error *err)
{
    char helper[PATH_MAX], answer[256], yes[8];
    unsigned long main_pid, control_pid;

    if (need_helper(helper, sizeof(helper), err) < 0 || (user && user_runtime(run, err) < 0))
        return -1;
    const char *args[] = { "unit", unit, NULL };
    if (run_helper(helper, user ? run->systemd.user_dir : NULL, args, answer, sizeof(answer)) < 0)
        return user && user_manager_gone(run->systemd.user_dir, err)
                   ? -1
                   : mcg_fail(err, "cannot ask systemd about %s (its Delegate=, MainPID=): %s",
                              unit, answer);
    if (sscanf(answer, "%7s %lu %lu", yes, &main_pid, &control_pid) != 3)
        return mcg_fail(err, "mcgexec-systemd said '%s' of %s, not its Delegate= and processes",
                        answer, unit);
    *ui = (struct mcg_unit_info){ .asked = 1, .delegate = strcmp(yes, "yes") == 0,
                              .main_pid = (pid_t)main_pid, .control_pid = (pid_t)control_pid };
    return 0;
}

/* Is `rest` (a cgroup path below a delegated cgroup) only the leaves an
 * earlier mcgexec stepped into (mcgexec.PID: a shell wrapper's), not
 * cgroups another program made? */
static int own_leaves(const char *rest)
{
    while (*rest) {
        size_t n = strcspn(rest, "/");
        if (n <= 8 || strncmp(rest, "mcgexec.", 8) != 0 || strspn(rest + 8, "0123456789") != n - 8)
            return 0;
        rest += n;
        rest += *rest == '/';
    }
    return 1;
}

struct mcg_systemd_sys mcg_systemd_sys = { mcg_delegated, sys_writable, sys_ask_unit };

int mcg_find_delegation(struct mcg_run *run, const char *rel, char *root, size_t rlen,
                        char *unit, size_t ulen, struct mcg_unit_info *ui, char *outer,
                        size_t olen, struct mcg_error *err)
{
    size_t end = 0, n = strlen(rel);
    const char *u = mcg_unit_of(rel, &end);
    char dir[PATH_MAX];

    unit[0] = outer[0] = '\0';
    *ui = (struct mcg_unit_info){ 0 };
    /* from rel up to the unit's cgroup (or the root), each level once */
    for (;;) {
        snprintf(root, rlen, "%.*s", (int)n, rel);
        if (n > 0 && mcg_join_path(dir, sizeof(dir), run->pos.v2_mount, root) == 0 &&
            mcg_systemd_sys.marked(dir)) {
            snprintf(outer, olen, "%s", dir);
            if (!mcg_systemd_sys.writable(run, dir))
                return 4;
            if (rel[n] == '\0' || own_leaves(rel + n + 1))
                return 1;
            snprintf(root, rlen, "%s", rel);
            return 3;
        }
        if (n == 0 || (u && n <= end))
            break;
        while (n > 0 && rel[n - 1] != '/')
            n--;
        n = n > 0 ? n - 1 : 0;
    }
    if (!u)
        return 0;
    snprintf(unit, ulen, "%.*s", (int)(rel + end - u), u);
    /* no mark: ask systemd about a service (a scope without the mark gets
     * a scope of mcgexec's own, as before; none is refused) */
    if (mcg_unit_kind_is(unit, ".scope"))
        return 0;
    /* (a user asks their own manager about its units, PID 1 about the
     * system's: a system service running as the user) */
    if (mcg_systemd_sys.ask(run, unit, run->rootless && user_managers_unit(rel, end), ui, err) < 0)
        return -1;
    if (!ui->delegate)
        return 0;
    snprintf(root, rlen, "%.*s", (int)end, rel);
    if (mcg_join_path(dir, sizeof(dir), run->pos.v2_mount, root) < 0 ||
        !mcg_systemd_sys.writable(run, dir))
        return 0;
    return 2;
}

/* The log line of a delegation found: by its mark, or by what systemd said. */
static void log_delegated(struct mcg_run *run, int how, const char *root, const char *rest)
{
    mcg_log(run, "%s%s/%s is delegated (%s)%s", run->opt.dry_run ? "# " : "", run->pos.v2_mount, root,
            how == 2 ? "systemd says Delegate=yes" : "Delegate=yes", rest);
}

/* --root under systemd: only inside a subtree systemd delegated. */
static int check_root(struct mcg_run *run, const struct mcg_hier *h, struct mcg_error *err)
{
    char root[PATH_MAX], unit[256], outer[PATH_MAX];
    struct mcg_unit_info ui;
    int r = mcg_find_delegation(run, h->base, root, sizeof(root), unit, sizeof(unit), &ui, outer,
                            sizeof(outer), err);

    if (r < 0)
        return -1;
    if (r == 0 || r == 4) {
        mcg_fail(err, "--root %s: %s%s%s is not in a cgroup systemd delegated, and systemd owns "
                      "the rest of the hierarchy: run mcgexec in a unit with Delegate=yes, leave "
                      "--root out (a scope of its own), or give --manager=cgroupfs to write there "
                      "anyway", run->opt.root, run->pos.v2_mount, h->base[0] ? "/" : "", h->base);
        err->about_host = 1;
        return -1;
    }
    if (r == 3)
        mcg_log(run, "%s%s is delegated (Delegate=yes): --root is inside it",
                run->opt.dry_run ? "# " : "", outer);
    else
        log_delegated(run, r, root, ": --root is inside it");
    return 0;
}

/* The unit that holds cgroup `rel`, for a message ("" for none). */
static void unit_holding(const char *rel, char *unit, size_t len)
{
    size_t end = 0;
    const char *u = mcg_unit_of(rel, &end);

    snprintf(unit, len, "%.*s", u ? (int)(rel + end - u) : 0, u ? u : "");
}

/* mcgexec is a service's own program (src/base/unitname.c, mcg_own_program),
 * and the service has no Delegate=yes: its cgroup is systemd's, and a
 * scope would take the service's own work out of it. */
static int refuse_own_program(const char *unit, int user_unit,
                              const struct mcg_unit_info *ui, struct mcg_error *err)
{
    mcg_fail(err, "mcgexec is the program of %s (its %s process %d%s), which has no "
                  "Delegate=yes: its cgroup is systemd's; add Delegate=yes to it (systemctl%s "
                  "edit %s), or give --scope for a scope of mcgexec's own, which takes the job "
                  "out of the service's limits and accounting (stopping the service still ends it)",
             unit, ui->main_pid > 0 ? "main" : "control",
             (int)(ui->main_pid > 0 ? ui->main_pid : ui->control_pid),
             getpid() == ui->main_pid || getpid() == ui->control_pid ? "" : ", mcgexec's parent",
             user_unit ? " --user" : "", unit);
    err->about_host = 1;
    return -1;
}

/* A job leaving a service for a scope must end with the service, and a
 * scope's BindsTo= passes on the service's stop but not its restart (a
 * restart reaches a scope as a try-restart, which systemd drops), and no
 * unit of the user's manager can be bound to one of PID 1 at all.  So
 * mcgexec stays as the job's supervisor and ends the job when the
 * service's main process ends, by pidfd (5.3): a stop, a restart, a
 * crash.  The process is checked to be in the service's cgroup once its
 * pidfd is open, so a pid reused since systemd named it is never watched. */
static int watch_service(struct mcg_run *run, const char *unit, const struct mcg_unit_info *ui,
                         const char *svc_cg, int bound, struct mcg_error *err)
{
    const char *dry = run->opt.dry_run ? "# " : "";
    pid_t pid = ui->main_pid > 0 ? ui->main_pid : ui->control_pid;
    char cg[PATH_MAX];

    if (pid <= 0) {
        mcg_log(run, "%s%s has no main or control process to watch: only %s", dry, unit,
                bound ? "its stop (BindsTo=) ends the job" : "nothing ends the job with it");
        return 0;
    }
    if (bound)
        mcg_log(run, "%s%s: the scope is bound to it (BindsTo=: its stop stops the scope), and "
                     "mcgexec stays as the job's supervisor (as --wait) to end the job when the "
                     "service's main process (%d) ends: a restart, which systemd does not pass "
                     "on to a scope", dry, unit, (int)pid);
    else
        mcg_log(run, "%s%s is a system service, and the user's manager cannot bind a scope to "
                     "it: mcgexec stays as the job's supervisor (as --wait) and ends the job "
                     "when the service's main process (%d) ends, as its stop or restart would",
                dry, unit, (int)pid);
    run->opt.supervised = 1;
    if (run->opt.dry_run)
        return 0;
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    size_t n = strlen(svc_cg);
    if (fd < 0 || mcg_read_proc_cgroup(run, pid, MCG_V2_HIER, cg, sizeof(cg)) < 0 ||
        strncmp(cg, svc_cg, n) != 0 || (cg[n] != '\0' && cg[n] != '/')) {
        if (fd >= 0)
            close(fd);
        return mcg_fail(err, "cannot watch %s's main process %d (pidfd_open: %s): the job would "
                             "outlive the service", unit, (int)pid,
                        fd < 0 ? strerror(errno) : "it is no longer the service's");
    }
    run->systemd.unit_watch = fd;
    run->systemd.unit_watched = xstrdup(unit);
    return 0;
}

/* mcgexec leaves the unit that holds it (cgroup `rel`, unit `unit`, what
 * systemd said of it in *ui) for a scope of its own: is that allowed, and
 * what ties the job to the unit?  A service's own program without
 * Delegate=yes is refused (unless --scope); a job in a service's process
 * tree (a CI runner's) gets a scope bound to the service (*binds_to), so
 * that stopping the service stops the scope, and (watch_service) a
 * supervisor that ends the job when the service's main process ends.  A
 * scope (a login session,
 * another program's) binds nothing: its processes outlive it by design
 * (KillUserProcesses=no). */
static int leave_unit(struct mcg_run *run, const char *rel, const char *unit,
                      struct mcg_unit_info *ui, const char **binds_to, struct mcg_error *err)
{
    const char *dry = run->opt.dry_run ? "# " : "";
    size_t end = 0;
    int user_unit = run->rootless && user_managers_unit(rel, strlen(rel));

    *binds_to = NULL;
    if (!mcg_unit_kind_is(unit, ".service"))
        return 0;
    if (!ui->asked && mcg_systemd_sys.ask(run, unit, user_unit, ui, err) < 0)
        return -1;
    if (!run->opt.scope_forced) {
        if (mcg_own_program(getpid(), getppid(), ui->main_pid, ui->control_pid))
            return refuse_own_program(unit, user_unit, ui, err);
        mcg_log(run, "%s%s has no Delegate=yes, and mcgexec is a job in its process tree, not "
                     "its program (main process %d, control process %d; mcgexec %d, its parent "
                     "%d): a scope of its own", dry, unit,
                (int)ui->main_pid, (int)ui->control_pid, (int)getpid(), (int)getppid());
    }
    if (!run->rootless || user_unit)
        *binds_to = unit;
    mcg_unit_of(rel, &end);
    char svc_cg[PATH_MAX];
    snprintf(svc_cg, sizeof(svc_cg), "%.*s", (int)end, rel);
    return watch_service(run, unit, ui, svc_cg, *binds_to != NULL, err);
}

/* When the policy names its first group: below the delegated cgroup that
 * holds mcgexec, else below a scope of its own (leave_unit says when that
 * is refused); with --scope, a scope of its own wherever mcgexec is. */
static int systemd_place(struct mcg_run *run, const char *first, struct mcg_error *err)
{
    const char *dry = run->opt.dry_run ? "# " : "", *binds_to = NULL;
    struct mcg_hier *h = NULL;
    struct mcg_unit_info ui = { 0 };
    char unit[256] = "", scope[256], root[PATH_MAX], cg[PATH_MAX], outer[PATH_MAX];

    for (int c = 0; c < MCG_NCTRL && !h; c++)
        if (run->pos.hier[c].mount[0])
            h = &run->pos.hier[c];
    if (!h)
        return 0; /* no controller: mcg_hier_get says so */
    if (run->opt.root)
        return check_root(run, h, err);
    if (run->opt.scope_forced) {
        unit_holding(h->orig, unit, sizeof(unit));
        mcg_log(run, "%s--scope: a scope of its own, whatever holds mcgexec (%s)", dry,
                unit[0] ? unit : "no unit");
    } else {
        int r = mcg_find_delegation(run, h->orig, root, sizeof(root), unit, sizeof(unit), &ui, outer,
                                sizeof(outer), err);
        if (r < 0)
            return -1;
        if (r == 1 || r == 2) {
            log_delegated(run, r, root, ": group names resolve below it");
            mcg_settle_below(run, root, 0);
            return 0;
        }
        if (r == 3) {
            /* (no controller is enabled above it, and none of its
             * processes is moved: the groups are threaded, src/core/groupfile.c) */
            char own[PATH_MAX];
            if (mcg_join_path(own, sizeof(own), run->pos.v2_mount, root) < 0)
                return mcg_fail(err, "path too long: %s/%s", run->pos.v2_mount, root);
            mcg_log(run, "%smcgexec runs inside %s, which systemd delegated (Delegate=yes), in "
                         "cgroups the program it was delegated to made: that program owns them, "
                         "and group names resolve below mcgexec's own cgroup, %s, as threaded "
                         "groups: it still lists the job's processes, so the program's signals "
                         "reach the job, and memory and io limits are its own", dry, outer, own);
            mcg_thread_below(run, own);
            /* That program removes its cgroups when its work ends (Slurm,
             * task_K at the step's end) and cannot remove one holding
             * groups of mcgexec's: they go when the job ends, so mcgexec
             * stays as its supervisor. */
            if (!run->opt.supervised)
                mcg_log(run, "%smcgexec stays as the job's supervisor and removes its groups "
                             "when the job ends (as --rm): the cgroups they are in are that "
                             "program's to remove", dry);
            run->opt.supervised = run->systemd.rm_forced = 1;
            mcg_state_rm(run);
            mcg_settle_below(run, root, 0);
            return 0;
        }
        if (r == 4) {
            unit_holding(h->orig, unit, sizeof(unit));
            mcg_fail(err, "mcgexec runs inside %s, a subtree systemd delegated to another program "
                          "(%s), whose cgroups uid %d cannot change: ask that program for the "
                          "limits (as srun --mem does), or give --scope to move the job to a scope "
                          "of your user manager, out of that program's limits, accounting and "
                          "signals", outer, unit[0] ? unit : "no unit", (int)geteuid());
            err->about_host = 1;
            return -1;
        }
    }
    if (unit[0] && leave_unit(run, h->orig, unit, &ui, &binds_to, err) < 0)
        return -1;
    mcg_scope_name(first, run->pid, scope, sizeof(scope));
    if (start_scope(run, scope, binds_to, cg, sizeof(cg), err) < 0)
        return -1;
    mcg_log(run, "%sgroup names resolve below %s%s", dry, run->pos.v2_mount, cg);
    mcg_settle_below(run, cg + 1, 1);
    return 0;
}

const struct mcg_manager mcg_systemd_manager = {
    .name = "systemd",
    .place = systemd_place,
    .create = mcg_cgroupfs_create,
    .attach = mcg_cgroupfs_attach,
    .delete = mcg_cgroupfs_delete,
    .drop_leaf = mcg_cgroupfs_drop_leaf,
};
