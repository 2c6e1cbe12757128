/* Undoing a run: the one walk over its journal (run->journal, which the
 * managers fill), used by mcg_rollback and, with steps that make system
 * calls only, by the signal guard (src/core/guard.c); and the removal of
 * the job's groups after --rm (kill what is left, then the same walk).
 * (mcg_commit, which frees the journal, is in run.c.) */
#define _GNU_SOURCE
#include "core/run.h"
#include "core/run-internal.h"
#include "core/guard.h"
#include "core/runstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* rmdir of a group whose last process was just killed fails with EBUSY
 * until the kernel has finished that process's exit (cgroup_exit), which
 * takes no time the process could spend: it no longer runs.  Retried this
 * often, this far apart (half a second in all); past it, the group is left
 * and said (mcg_warn), never removed half-way. */
#define BUSY_TRIES 50
#define BUSY_PAUSE_NS (10 * 1000 * 1000)
/* How long processes killed by SIGKILL may take to end.  Each is waited
 * for through a pidfd, which polls readable once it has exited (and so
 * left its cgroup): nothing is timed but this bound, for a process that
 * cannot end: frozen by a cgroup v1 freezer (a frozen task dies only once
 * thawed), or stuck in the kernel (a hung NFS server).  Ten seconds is
 * long past what ending takes on a busy machine, even for a process
 * freeing gigabytes.  Past it, the processes and their group are left and
 * said (mcg_warn), and the run's state file stays, so that mcgexec --gc
 * removes them once they have ended.  MCGEXEC_KILL_WAIT_MS sets it for
 * the tests (tests/reclaim.bats freezes a process). */
#define KILL_WAIT_MS 10000
/* Where the kernel has no pidfds (before 5.3): rounds of SIGKILL this far
 * apart, for processes forked while a round read the list (one fork per
 * round at most gets through, and each round kills what it sees): a
 * second in all. */
#define KILL_ROUNDS 200
#define KILL_PAUSE_NS (5 * 1000 * 1000)

/* Does any hierarchy have mcgexec in `dir` or below it? */
static int holds_self(const struct mcg_run *run, const char *dir)
{
    for (int c = 0; c < MCG_NCTRL; c++) {
        char cur[PATH_MAX];
        if (run->pos.hier[c].mount[0] &&
            mcg_cur_dir(&run->pos.hier[c], cur, sizeof(cur)) == 0 &&
            mcg_path_within(cur, dir))
            return 1;
    }
    return 0;
}

/* ---- the undo journal ------------------------------------------------------
 *
 * What a run changed is journalled in run->journal.moved, run->journal.created and
 * run->journal.enabled as it happens; undoing it is one walk over them, in one
 * order: other processes moved back first; then the groups that can go
 * already (a group mcgexec still sits in cannot); then the controllers
 * this run enabled (v2: a group with controllers enabled for children takes
 * no processes, mcgexec's own included); then mcgexec itself; then every
 * group that is left.  The same walk serves mcg_rollback and the signal
 * guard: only the steps differ (undo_ops), and the walk itself touches
 * nothing but the journal, so a signal handler may run it. */

struct undo_ops {
    void (*move_back)(struct mcg_run *run, const struct moved *m);
    /* last: the final attempt (retry while busy, say so if it fails);
     * sets ref->gone once the group is removed */
    void (*remove)(struct mcg_run *run, struct group_ref *ref, int last);
    void (*disable)(struct mcg_run *run, const struct group_ref *ref);
    /* a file of the threaded domain back to its value before */
    void (*restore)(struct mcg_run *run, const struct saved_file *s);
};

/* The system calls both sets of steps make, in one table so that a test
 * can put a model of the kernel in their place (tests/unit/test_journal.c).
 * Each is safe in a signal handler. */
static int sys_rmdir(const char *dir)
{
    return rmdir(dir);
}

static int sys_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* (mcg_write_file: open, one write, close) */
struct mcg_undo_sys mcg_undo_sys = { sys_rmdir, mcg_write_file, sys_exists };

/* "dir/file" into path (handler-safe). */
static void file_path(char *path, size_t len, const char *dir, const char *file)
{
    size_t n = mcg_safe_append(path, 0, len, dir);
    n = mcg_safe_append(path, n, len, "/");
    mcg_safe_append(path, n, len, file);
}

static void undo_walk(struct mcg_run *run, const struct undo_ops *ops)
{
    for (int self = 0; self < 2; self++) {
        for (size_t i = run->journal.moved.n; i-- > 0;) {
            const struct moved *m = run->journal.moved.items[i];
            if ((m->pid == run->pid || m->with_self) == self &&
                !(m->pid == run->pid && mcg_in_own_scope(run, m->from)))
                ops->move_back(run, m);
        }
        if (self)
            break;
        for (size_t i = run->journal.created.n; i-- > 0;)
            ops->remove(run, run->journal.created.items[i], 0);
        for (size_t i = run->journal.enabled.n; i-- > 0;) {
            const struct group_ref *e = run->journal.enabled.items[i];
            if (!mcg_in_own_scope(run, e->dir))
                ops->disable(run, e);
        }
    }
    for (size_t i = run->journal.created.n; i-- > 0;) {
        struct group_ref *r = run->journal.created.items[i];
        /* (mcgexec's leaf in its own scope: mcgexec stays in it to the end) */
        if (!r->gone && !(run->pos.self_leaf && strcmp(r->dir, run->pos.self_leaf) == 0 &&
                          mcg_in_own_scope(run, r->dir)))
            ops->remove(run, r, 1);
    }
    for (size_t i = run->journal.saved.n; i-- > 0;)
        ops->restore(run, run->journal.saved.items[i]);
}

/* The usual steps: logged with --verbose, failures warned about. */
static void move_back_logged(struct mcg_run *run, const struct moved *m)
{
    char buf[32], path[MCG_FILE_PATH];
    snprintf(buf, sizeof(buf), "%d", (int)m->pid);
    file_path(path, sizeof(path), m->from, "cgroup.procs");
    mcg_log(run, "attach %s %s", m->from, buf);
    if (mcg_undo_sys.write(path, buf) < 0 && errno != ESRCH)
        mcg_warn("cannot move pid %s back to %s: %s", buf, m->from, strerror(errno));
}

static void remove_logged(struct mcg_run *run, struct group_ref *ref, int last)
{
    if (!last && holds_self(run, ref->dir))
        return; /* not yet: mcgexec is still inside */
    mcg_log(run, "rmdir %s", ref->dir);
    /* A group can stay busy for a moment after its last task left.  (The
     * first pass tries once and says nothing: the last one, after
     * mcgexec has gone home, tries again and says what failed, unless
     * the processes in it were said already: mcg_kill_tree.) */
    for (int tries = 0; mcg_undo_sys.rmdir(ref->dir) < 0 && errno != ENOENT; tries++) {
        if (!last)
            return;
        if (errno == EROFS) { /* (one line for all of them) */
            if (!run->journal.rofs_said)
                mcg_warn("cannot remove %s (nor the groups above it): the cgroup filesystem is "
                         "read-only (remounted?); mcgexec --gc removes them once it is writable",
                         ref->dir);
            run->journal.rofs_said = 1;
            return;
        }
        if (errno != EBUSY || tries == BUSY_TRIES) {
            if (!(errno == EBUSY && run->journal.stuck))
                mcg_warn("cannot remove %s: %s", ref->dir, strerror(errno));
            return;
        }
        nanosleep(&(struct timespec){ 0, BUSY_PAUSE_NS }, NULL);
    }
    ref->gone = 1;
}

static void disable_logged(struct mcg_run *run, const struct group_ref *ref)
{
    char minus[32], path[MCG_FILE_PATH];
    if (!mcg_undo_sys.exists(ref->dir))
        return;
    snprintf(minus, sizeof(minus), "-%s", mcg_controllers[ref->ctrl].v2);
    file_path(path, sizeof(path), ref->dir, "cgroup.subtree_control");
    mcg_log(run, "write %s %s", path, minus);
    mcg_undo_sys.write(path, minus); /* best effort: others may use it by now */
}

static void restore_logged(struct mcg_run *run, const struct saved_file *s)
{
    char path[MCG_FILE_PATH];
    file_path(path, sizeof(path), run->pos.thread_domain, s->file);
    mcg_log(run, "write %s %s", path, s->value);
    if (mcg_undo_sys.write(path, s->value) < 0 && errno != ENOENT)
        mcg_warn("cannot restore %s to %s: %s", path, s->value, strerror(errno));
}

static const struct undo_ops undo_logged = { move_back_logged, remove_logged, disable_logged,
                                             restore_logged };

/* Is every group this run made gone?  (Else its state on disk stays,
 * naming them for whoever reclaims next.) */
static int all_gone(const struct mcg_run *run)
{
    for (size_t i = 0; i < run->journal.created.n; i++)
        if (!run->journal.created.items[i]->gone &&
            !mcg_in_own_scope(run, run->journal.created.items[i]->dir))
            return 0;
    return 1;
}

static void rollback_held(struct mcg_run *run)
{
    if (!run->opt.dry_run)
        undo_walk(run, &undo_logged);
    run->state.keep = !all_gone(run);
    mcg_commit(run);
}

void mcg_rollback(struct mcg_run *run)
{
    mcg_guard_hold();
    rollback_held(run);
    mcg_guard_release();
}

/* ---- the same steps with system calls only, for the signal guard ----- */

static void write_raw(const char *dir, const char *file, const char *value)
{
    char path[MCG_FILE_PATH];

    file_path(path, sizeof(path), dir, file);
    if (mcg_undo_sys.write(path, value) < 0) {
        /* nothing more can be done from a handler */
    }
}

static void pid_text(pid_t pid, char *buf, size_t len)
{
    char tmp[24];
    size_t n = 0;
    unsigned long v = (unsigned long)pid;

    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < sizeof(tmp));
    for (size_t i = 0; i < n && i + 1 < len; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n < len ? n : len - 1] = '\0';
}

/* The same steps with system calls only, for the signal guard. */
static void move_back_raw(struct mcg_run *run, const struct moved *m)
{
    char pid[24];
    (void)run;
    pid_text(m->pid, pid, sizeof(pid));
    write_raw(m->from, "cgroup.procs", pid);
}

static void remove_raw(struct mcg_run *run, struct group_ref *ref, int last)
{
    (void)run;
    for (int t = 0; mcg_undo_sys.rmdir(ref->dir) < 0; t++) {
        if (errno != EBUSY || !last || t == BUSY_TRIES)
            return;
        nanosleep(&(struct timespec){ 0, BUSY_PAUSE_NS }, NULL);
    }
    ref->gone = 1;
}

static void disable_raw(struct mcg_run *run, const struct group_ref *ref)
{
    char minus[32];
    (void)run;
    mcg_safe_append(minus, mcg_safe_append(minus, 0, sizeof(minus), "-"), sizeof(minus),
                    mcg_controllers[ref->ctrl].v2);
    write_raw(ref->dir, "cgroup.subtree_control", minus);
}

static void restore_raw(struct mcg_run *run, const struct saved_file *s)
{
    write_raw(run->pos.thread_domain, s->file, s->value);
}

static const struct undo_ops undo_raw = { move_back_raw, remove_raw, disable_raw, restore_raw };

void mcg_undo_for_signal(struct mcg_run *run)
{
    undo_walk(run, &undo_raw);
    if (run->state.path && all_gone(run))
        unlink(run->state.path);
}

static void undo_for_signal(void *run)
{
    mcg_undo_for_signal(run);
}

void mcg_guard_begin(struct mcg_run *run)
{
    mcg_guard_watch(run->opt.dry_run ? NULL : undo_for_signal, run);
}

/* ---- after the job (--rm): kill what is left, then the same undo ----- */

/* Signal the processes listed in dir/cgroup.procs and below; count them. */
static int signal_procs(const char *dir, int sig, pid_t self)
{
    char path[MCG_FILE_PATH], *procs = NULL;
    int n = 0;
    DIR *d;
    struct dirent *e;

    struct mcg_error ignored = { 0 };
    if (mcg_read_members(dir, &procs, &ignored) == 0) {
        for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok;
             tok = strtok_r(NULL, "\n", &save)) {
            pid_t pid = (pid_t)atoi(tok);
            if (pid > 0 && pid != self && kill(pid, sig) == 0)
                n++;
        }
        free(procs);
    }
    if (!(d = opendir(dir)))
        return n;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        n += signal_procs(path, sig, self);
    }
    closedir(d);
    return n;
}

/* The pids listed in dir/cgroup.procs and below, but `spare`, appended
 * to *pids (n of them, cap). */
static void list_procs(const char *dir, pid_t spare, pid_t **pids, size_t *n, size_t *cap)
{
    char path[MCG_FILE_PATH], *procs = NULL;
    struct mcg_error ignored = { 0 };
    DIR *d;
    struct dirent *e;

    if (mcg_read_members(dir, &procs, &ignored) == 0) {
        for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok;
             tok = strtok_r(NULL, "\n", &save)) {
            pid_t pid = (pid_t)atoi(tok);
            if (pid <= 0 || pid == spare)
                continue;
            if (*n == *cap) {
                *cap = *cap ? 2 * *cap : 32;
                if (!(*pids = realloc(*pids, *cap * sizeof(**pids))))
                    abort();
            }
            (*pids)[(*n)++] = pid;
        }
        free(procs);
    }
    if (!(d = opendir(dir)))
        return;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        list_procs(path, spare, pids, n, cap);
    }
    closedir(d);
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long kill_wait_ms(void)
{
    const char *e = getenv("MCGEXEC_KILL_WAIT_MS");
    return e && *e ? atoll(e) : KILL_WAIT_MS;
}

/* SIGKILL to every process in dir and below but `spare`, through a pidfd
 * each (never a pid reused meanwhile), and wait for them to end; again
 * while a reading finds any (a process may fork while we read).  Through
 * cgroup.kill first where the kernel has it and `spare` is not inside.
 * How many were killed, or -1 with errno ETIMEDOUT where some did not end
 * within KILL_WAIT_MS (their pids in *stuck, malloc'd, 0-terminated). */
static int kill_all(const char *dir, pid_t spare, int use_kill_file, pid_t **stuck)
{
    char path[MCG_FILE_PATH];
    int total = 0;
    long long deadline = now_ms() + kill_wait_ms();
    pid_t *pids = NULL;
    size_t cap = 0;

    *stuck = NULL;
    snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
    if (use_kill_file && access(path, W_OK) == 0 && mcg_write_file(path, "1") == 0)
        total = 1;
    for (int round = 0;; round++) {
        size_t n = 0, waiting = 0;
        list_procs(dir, spare, &pids, &n, &cap);
        if (n == 0)
            break;
        if (now_ms() > deadline) { /* (still there: they are the ones that do not end) */
            if (!(*stuck = calloc(n + 1, sizeof(**stuck))))
                abort();
            memcpy(*stuck, pids, n * sizeof(*pids));
            free(pids);
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd *fds = calloc(n, sizeof(*fds));
        pid_t *fd_pid = calloc(n + 1, sizeof(*fd_pid));
        if (!fds || !fd_pid)
            abort();
        int no_pidfds = 0;
        for (size_t i = 0; i < n; i++) {
            int fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
            if (fd < 0) {
                no_pidfds |= errno == ENOSYS;
                total += kill(pids[i], SIGKILL) == 0; /* (ESRCH: gone already) */
                continue;
            }
            if (syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) == 0)
                total++;
            fd_pid[waiting] = pids[i];
            fds[waiting++] = (struct pollfd){ .fd = fd, .events = POLLIN };
        }
        /* readable: ended (and out of its cgroup) */
        size_t ended = 0;
        while (ended < waiting) {
            long long left = deadline - now_ms();
            int r = left > 0 ? poll(fds, waiting, (int)left) : 0;
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            for (size_t i = 0; i < waiting; i++)
                if (fds[i].fd >= 0 && fds[i].revents) {
                    close(fds[i].fd);
                    fds[i].fd = -1; /* (poll ignores it) */
                    ended++;
                }
        }
        size_t k = 0;
        for (size_t i = 0; i < waiting; i++)
            if (fds[i].fd >= 0) {
                close(fds[i].fd);
                fd_pid[k++] = fd_pid[i];
            }
        fd_pid[k] = 0;
        free(fds);
        if (ended < waiting) {
            free(pids);
            *stuck = fd_pid;
            errno = ETIMEDOUT;
            return -1;
        }
        free(fd_pid);
        if (no_pidfds) {
            if (round == KILL_ROUNDS)
                break;
            nanosleep(&(struct timespec){ 0, KILL_PAUSE_NS }, NULL);
        }
    }
    free(pids);
    return total;
}

/* "12 34 56" of a 0-terminated list, into buf. */
static const char *pid_list(const pid_t *pids, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (; pids && *pids && at + 16 < len; pids++)
        at += (size_t)snprintf(buf + at, len - at, "%s%d", at ? " " : "", (int)*pids);
    return buf;
}

int mcg_kill_dir(const char *dir, pid_t spare)
{
    pid_t *stuck;
    /* (without cgroup.kill: `spare` may be inside) */
    int n = kill_all(dir, spare, 0, &stuck);
    if (n < 0) {
        char buf[256];
        mcg_warn("%s %s in %s did not end within %lld ms of SIGKILL (frozen? stuck in the "
                 "kernel?): left",
                 stuck[1] ? "processes" : "process", pid_list(stuck, buf, sizeof(buf)), dir,
                 kill_wait_ms());
    }
    free(stuck);
    return n;
}

int mcg_kill_tree(struct mcg_run *run, const char *dir, int sig)
{
    if (run->opt.dry_run)
        return 0;
    if (sig != SIGKILL)
        return signal_procs(dir, sig, getpid());
    /* (never cgroup.kill where mcgexec itself is: signal_procs spares it) */
    char path[MCG_FILE_PATH];
    snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
    int use_kill_file = !holds_self(run, dir) && access(path, W_OK) == 0;
    if (use_kill_file)
        mcg_log(run, "write %s 1", path);
    pid_t *stuck;
    int n = kill_all(dir, getpid(), use_kill_file, &stuck);
    if (n < 0) {
        run->journal.stuck = 1;
        char buf[256];
        mcg_warn("%s %s in %s did not end within %lld ms of SIGKILL (frozen? stuck in the "
                 "kernel?): the group is left; mcgexec --gc removes it once %s ended",
                 stuck[1] ? "processes" : "process", pid_list(stuck, buf, sizeof(buf)), dir,
                 kill_wait_ms(), stuck[1] ? "they have" : "it has");
    }
    free(stuck);
    return n;
}

int mcg_rmdir_patient(const char *dir)
{
    for (int tries = 0; rmdir(dir) < 0; tries++) {
        if (errno != EBUSY || tries == BUSY_TRIES)
            return -1;
        nanosleep(&(struct timespec){ 0, BUSY_PAUSE_NS }, NULL);
    }
    return 0;
}

void mcg_remove_created(struct mcg_run *run)
{
    /* Most jobs leave their groups empty, and then removing them (deepest
     * first) is all there is to do; where that fails (EBUSY: a process
     * left behind, or groups of the job's own), kill, then remove. */
    mcg_guard_hold();
    for (size_t i = run->opt.dry_run ? 0 : run->journal.created.n; i-- > 0;) {
        struct group_ref *r = run->journal.created.items[i];
        if (run->pos.self_leaf && strcmp(r->dir, run->pos.self_leaf) == 0)
            continue; /* mcgexec's own leaf */
        if (rmdir(r->dir) == 0 || errno == ENOENT) {
            mcg_log(run, "rmdir %s", r->dir);
            free(r->dir);
            free(r);
            mcg_list_remove(&run->journal.created.any, i);
        }
    }
    mcg_guard_release();
    for (size_t i = 0; i < run->journal.created.n; i++) {
        const char *dir = ((struct group_ref *)run->journal.created.items[i])->dir;
        if (run->pos.self_leaf && strcmp(dir, run->pos.self_leaf) == 0)
            continue; /* mcgexec's own leaf */
        /* (a group below one killed already was killed with it) */
        int below = 0;
        for (size_t j = 0; j < i && !below; j++)
            below = mcg_path_within(dir, run->journal.created.items[j]->dir);
        if (!below)
            mcg_kill_tree(run, dir, SIGKILL);
    }
    mcg_rollback(run);
}
