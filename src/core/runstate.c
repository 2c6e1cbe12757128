/* A run's state on disk (core/runstate.h says what it is for): the file
 * written as groups are made, and its end.
 *
 * The file is made at the run's first group, not before: a run that makes
 * none (a policy of existing groups, a dry run) writes nothing.  Each line
 * is one write(2) to a file opened O_APPEND on a tmpfs, so a SIGKILL leaves
 * whole lines only:
 *
 *   mcgexec-run 1
 *   rm                      the groups go at the run's end (--rm)
 *   intent PATH             about to make PATH, which did not exist
 *   made INODE PATH         made it (a group renamed into place: its new path)
 *   enabled CTRL PATH       enabled v2 controller CTRL in PATH's subtree_control
 *   starting UNIT USERDIR MOUNT  about to ask systemd for the run's own
 *                           scope UNIT (MOUNT: the cgroup v2 mount its
 *                           cgroup will be under)
 *   scope UNIT USERDIR PATH the run's own scope, from systemd (USERDIR: the
 *                           user manager's runtime directory, or -)
 *
 * The intent comes before the mkdir, so a kill between the mkdir and the
 * next line still names the group.  While it makes groups, a run holds the
 * state directory's lock shared (the lock file `lock`); reclaiming takes it
 * exclusively, so that it never removes a group a run has just found and
 * is about to join (groups that hold the job cannot be removed: once the
 * job is in them the lock is let go).  Failing to keep the state is said
 * once and the run goes on: it loses only what a SIGKILL would leave. */
#define _GNU_SOURCE
#include "core/runstate.h"
#include "core/run-internal.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *mcg_state_dir(void)
{
    static char buf[PATH_MAX];
    const char *e = getenv("MCGEXEC_STATE_DIR");

    if (e && *e == '/')
        return e;
    if (geteuid() == 0)
        return "/run/mcgexec";
    e = getenv("XDG_RUNTIME_DIR");
    if (!e || *e != '/' || snprintf(buf, sizeof(buf), "%s/mcgexec", e) >= (int)sizeof(buf))
        return NULL;
    return buf;
}

/* The directory, made if missing; refused unless it is a real directory
 * of ours that nobody else can write (root reclaims what it names). */
static int own_dir(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -1;
    if (lstat(dir, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

/* The start time of `pid` in clock ticks since boot (/proc/PID/stat's
 * 22nd field): with the pid, it names one process for good. */
int mcg_proc_start(pid_t pid, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* after the command's name, which may hold anything: its last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* fields 3 (state) to 21, then the start time */
    p++;
    for (int field = 2; field < 21 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p || sscanf(p, " %llu", start) != 1)
        return -1;
    return 0;
}

static void state_failed(struct mcg_run *run, const char *what, int e)
{
    if (!run->state.failed)
        mcg_warn("cannot keep this run's state (%s: %s): were mcgexec killed by SIGKILL, "
                 "nothing would remove its groups",
                 what, strerror(e));
    run->state.failed = 1;
}

static void put_line(struct mcg_run *run, const char *kind, const char *a, const char *path)
{
    char line[MCG_FILE_PATH + 128];
    int n = snprintf(line, sizeof(line), "%s%s%s%s%s\n", kind, a ? " " : "", a ? a : "",
                     path ? " " : "", path ? path : "");

    if (run->state.fd < 0 || run->state.failed)
        return;
    if (n >= (int)sizeof(line) || (path && strchr(path, '\n'))) {
        state_failed(run, "a path it cannot write on one line", EINVAL);
        return;
    }
    if (write(run->state.fd, line, (size_t)n) != n)
        state_failed(run, run->state.path, errno ? errno : ENOSPC);
}

/* The run's file, made at its first group. */
static int open_state(struct mcg_run *run)
{
    char path[PATH_MAX];
    unsigned long long start;
    const char *dir;

    if (run->state.fd >= 0)
        return 0;
    if (run->state.failed || run->opt.dry_run || !(dir = mcg_state_dir()))
        return -1;
    if (own_dir(dir) < 0) {
        state_failed(run, dir, errno);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/lock", dir);
    run->state.lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    /* (reclaiming holds it only while it removes: never long) */
    if (run->state.lock < 0 || flock(run->state.lock, LOCK_SH) < 0) {
        state_failed(run, path, errno);
        return -1;
    }
    if (mcg_proc_start(run->pid, &start) < 0 ||
        snprintf(path, sizeof(path), "%s/%d-%llu.run", dir, (int)run->pid, start) >=
            (int)sizeof(path)) {
        state_failed(run, "/proc/self/stat", errno ? errno : EINVAL);
        return -1;
    }
    run->state.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
                         0600);
    if (run->state.fd < 0) {
        state_failed(run, path, errno);
        return -1;
    }
    run->state.path = xstrdup(path);
    put_line(run, "mcgexec-run 1", NULL, NULL);
    if (run->opt.rm)
        put_line(run, "rm", NULL, NULL);
    return 0;
}

void mcg_state_intent(struct mcg_run *run, const char *dir)
{
    if (open_state(run) == 0)
        put_line(run, "intent", NULL, dir);
}

void mcg_state_made(struct mcg_run *run, const char *dir)
{
    struct stat st;
    char ino[32];

    if (run->state.fd < 0 || stat(dir, &st) < 0)
        return;
    snprintf(ino, sizeof(ino), "%llu", (unsigned long long)st.st_ino);
    put_line(run, "made", ino, dir);
}

void mcg_state_enabled(struct mcg_run *run, const char *controller, const char *dir)
{
    if (open_state(run) == 0)
        put_line(run, "enabled", controller, dir);
}

/* "KIND UNIT USERDIR|- PATH": a path with a blank would not read back,
 * and systemd's names have none. */
static void put_scope_line(struct mcg_run *run, const char *kind, const char *unit,
                           const char *user_dir, const char *path)
{
    char line[MCG_FILE_PATH + 512];

    if (!path || !*path || strchr(unit, ' ') || strchr(path, ' ') ||
        (user_dir && strchr(user_dir, ' ')) || open_state(run) < 0)
        return;
    snprintf(line, sizeof(line), "%s %s", unit, user_dir ? user_dir : "-");
    put_line(run, kind, line, path);
}

void mcg_state_scope(struct mcg_run *run, const char *unit, const char *dir,
                     const char *user_dir)
{
    put_scope_line(run, "scope", unit, user_dir, dir);
}

void mcg_state_starting(struct mcg_run *run, const char *unit, const char *user_dir)
{
    put_scope_line(run, "starting", unit, user_dir, run->pos.v2_mount);
}

void mcg_state_rm(struct mcg_run *run)
{
    if (!run->opt.rm) {
        run->opt.rm = 1;
        put_line(run, "rm", NULL, NULL);
    }
}

static void let_go(struct mcg_run *run)
{
    if (run->state.lock >= 0)
        close(run->state.lock);
    run->state.lock = -1;
}

void mcg_state_started(struct mcg_run *run)
{
    let_go(run);
}

/* The file's other name while the command is being started in place. */
static int exec_name(const struct mcg_run *run, char *out, size_t len)
{
    size_t n = strlen(run->state.path);
    if (n < 4 || n + 2 > len)
        return -1;
    memcpy(out, run->state.path, n - 4);
    strcpy(out + n - 4, ".exec");
    return 0;
}

void mcg_state_exec(struct mcg_run *run)
{
    char path[PATH_MAX];
    if (run->state.path && exec_name(run, path, sizeof(path)) == 0 &&
        rename(run->state.path, path) < 0)
        state_failed(run, path, errno);
    /* (the lock goes with the exec: close-on-exec) */
}

void mcg_state_exec_failed(struct mcg_run *run)
{
    char path[PATH_MAX];
    if (run->state.path && exec_name(run, path, sizeof(path)) == 0)
        rename(path, run->state.path);
}

void mcg_state_end(struct mcg_run *run)
{
    let_go(run);
    if (run->state.fd >= 0)
        close(run->state.fd);
    run->state.fd = -1;
    /* groups left that the rollback could not remove stay named, for
     * whoever reclaims next */
    if (run->state.path && !run->state.keep)
        unlink(run->state.path);
    free(run->state.path);
    run->state.path = NULL;
    run->state.keep = 0;
}
