/* Reclaiming what dead runs left (core/runstate.h): read every run's file
 * in the state directory, and for each whose owner is gone (its pid ended,
 * or is another process now: the start time differs), remove the groups it
 * made, killing their processes first where it asked for --rm.
 *
 * What makes this safe to run at any time, by any run:
 *  - the exclusive lock: no run is making or finding groups meanwhile
 *    (they hold it shared until their job is in its groups);
 *  - a group a live run's file names (or one below it) is left alone;
 *  - a group the dead run made is removed only where it is still that
 *    group (the inode it made); one it was about to make when it died
 *    (an intent without `made`) only while it is empty, and nothing in it
 *    is killed: it did not exist when the run looked, but someone else
 *    may have made it since;
 *  - only directories on a cgroup filesystem, and rmdir(2), which the
 *    kernel refuses for a group with processes or groups in it: a job of
 *    a dead run that did not ask for --rm keeps its groups until it ends,
 *    and the file stays for the next reclaim;
 *  - a controller a dead run enabled is disabled only where no group is
 *    left below that would use it. */
#define _GNU_SOURCE
#include "core/runstate.h"
#include "core/run-internal.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct entry {
    char kind;              /* 'i' intent, 'm' made, 'e' enabled, 'p' starting, 's' scope */
    unsigned long long ino; /* made */
    char ctrl[16];          /* enabled */
    char unit[256];         /* starting, scope */
    char user[256];         /* starting, scope: the user manager's runtime directory, or "-" */
    char *path;
};

struct runfile {
    char name[NAME_MAX + 1];
    pid_t pid;
    int exec;               /* the command was being started in place */
    int rm;
    int live;
    struct entry *e;
    size_t n;
};

/* "PID-START.run" or "PID-START.exec": the owner, and whether it lives. */
static int parse_name(const char *name, struct runfile *f)
{
    int pid, len = 0;
    unsigned long long start, now;
    char ext[8];

    if (sscanf(name, "%d-%llu.%7[a-z]%n", &pid, &start, ext, &len) != 3 || name[len] ||
        pid <= 0 || (strcmp(ext, "run") != 0 && strcmp(ext, "exec") != 0))
        return -1;
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->pid = pid;
    f->exec = strcmp(ext, "exec") == 0;
    f->live = mcg_proc_start(pid, &now) == 0 && now == start;
    return 0;
}

static void free_file(struct runfile *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->e[i].path);
    free(f->e);
    f->e = NULL;
    f->n = 0;
}

static void read_entries(const char *dir, struct runfile *f)
{
    char path[PATH_MAX], *text = NULL;

    snprintf(path, sizeof(path), "%s/%s", dir, f->name);
    if (mcg_read_file(path, &text) < 0)
        return;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        struct entry e = { 0 };
        int off = 0;
        if (strcmp(line, "rm") == 0) {
            f->rm = 1;
            continue;
        }
        if (strncmp(line, "intent /", 8) == 0) {
            e.kind = 'i';
            off = 7;
        } else if (sscanf(line, "made %llu %n", &e.ino, &off) == 1 && line[off] == '/') {
            e.kind = 'm';
        } else if (sscanf(line, "enabled %15s %n", e.ctrl, &off) == 1 && line[off] == '/') {
            e.kind = 'e';
        } else if (sscanf(line, "scope %255s %255s %n", e.unit, e.user, &off) == 2 &&
                   line[off] == '/') {
            e.kind = 's';
        } else if (sscanf(line, "starting %255s %255s %n", e.unit, e.user, &off) == 2 &&
                   line[off] == '/') {
            e.kind = 'p'; /* (its path: the cgroup v2 mount) */
        } else {
            continue; /* the header, or a line this mcgexec does not know */
        }
        e.path = xstrdup(line + off);
        f->e = realloc(f->e, (f->n + 1) * sizeof(*f->e));
        if (!f->e)
            abort();
        f->e[f->n++] = e;
    }
    free(text);
}

static int on_cgroupfs(const char *path)
{
    struct statfs fs;
    return statfs(path, &fs) == 0 &&
           (fs.f_type == CGROUP_SUPER_MAGIC || fs.f_type == CGROUP2_SUPER_MAGIC);
}

/* Does a live run name `dir` or a group below it? */
static int live_within(const struct runfile *files, size_t nfiles, const char *dir)
{
    for (size_t i = 0; i < nfiles; i++)
        for (size_t j = 0; files[i].live && j < files[i].n; j++)
            if (files[i].e[j].kind != 'e' && files[i].e[j].kind != 'p' &&
                mcg_path_within(files[i].e[j].path, dir))
                return 1;
    return 0;
}

/* Is this entry's group (still) the one the run made?  1: made and the
 * same inode; 2: about to be made, and there; 0: not the run's, or gone. */
static int ownership(const struct runfile *f, size_t i)
{
    struct stat st;
    const char *dir = f->e[i].path;

    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !on_cgroupfs(dir))
        return 0;
    /* the last word on a path is its `made`, if any (a group renamed into
     * place is made twice, under both names, with one inode) */
    for (size_t j = f->n; j-- > 0;)
        if (f->e[j].kind == 'm' && strcmp(f->e[j].path, dir) == 0)
            return f->e[j].ino == (unsigned long long)st.st_ino;
    return 2;
}

static int has_subgroups(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int any = 0;

    while (d && !any && (de = readdir(d)))
        any = de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    if (d)
        closedir(d);
    return any;
}

/* Is `dir` inside the run's own systemd scope?  systemd removes it with
 * the scope, once nothing runs there: removing it too would race with
 * systemd's own removal, which does not try again. */
static int in_own_scope(const struct runfile *f, const char *dir)
{
    for (size_t j = 0; j < f->n; j++)
        if (f->e[j].kind == 's' && strcmp(f->e[j].path, dir) != 0 &&
            mcg_path_within(dir, f->e[j].path))
            return 1;
    return 0;
}

/* Did the run name the scope `unit` as started? */
static int named_scope(const struct runfile *f, const char *unit)
{
    for (size_t j = 0; j < f->n; j++)
        if (f->e[j].kind == 's' && strcmp(f->e[j].unit, unit) == 0)
            return 1;
    return 0;
}

/* "populated 0" in dir/cgroup.events: nothing runs in it or below. */
static int unpopulated(const char *dir)
{
    char path[MCG_FILE_PATH], *text = NULL;
    snprintf(path, sizeof(path), "%s/cgroup.events", dir);
    if (mcg_read_file(path, &text) < 0)
        return 0;
    int r = strstr(text, "populated 0") != NULL;
    free(text);
    return r;
}

/* One dead run: 1 where all it made is gone (its file can go), else 0. */
static int reclaim_run(const char *sdir, struct runfile *f, const struct runfile *files,
                       size_t nfiles, int say, struct mcg_reclaim_counts *c)
{
    int left = 0, removed = 0, killed = 0;
    const char *busy = NULL;

    /* deepest first: the reverse of the order they were made in */
    for (size_t i = f->n; i-- > 0;) {
        if (f->e[i].kind != 'i')
            continue;
        const char *dir = f->e[i].path;
        int own = ownership(f, i);
        if (!own)
            continue;
        if (live_within(files, nfiles, dir)) {
            if (say > 1)
                fprintf(stderr, "mcgexec: --gc: %s: a live run uses it: left\n", dir);
            continue;
        }
        if (f->rm && own == 1) {
            int n = mcg_kill_dir(dir, getpid());
            if (n > 0)
                killed += n;
        }
        if (in_own_scope(f, dir))
            continue; /* (systemd's to remove, with the scope: below) */
        if (mcg_rmdir_patient(dir) == 0) {
            removed++;
            if (say > 1)
                fprintf(stderr, "mcgexec: --gc: rmdir %s\n", dir);
        } else if (errno != ENOENT) {
            left++;
            busy = busy ? busy : dir;
            if (say > 1)
                fprintf(stderr, "mcgexec: --gc: %s: %s: left for the next reclaim\n", dir,
                        strerror(errno));
        }
    }
    for (size_t i = f->n; i-- > 0;) {
        char path[MCG_FILE_PATH], minus[32];
        const char *dir = f->e[i].path;
        if (f->e[i].kind != 'e' || !on_cgroupfs(dir) || has_subgroups(dir) ||
            live_within(files, nfiles, dir))
            continue;
        snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
        snprintf(minus, sizeof(minus), "-%s", f->e[i].ctrl);
        if (mcg_write_file(path, minus) == 0 && say > 1)
            fprintf(stderr, "mcgexec: --gc: write %s %s\n", path, minus);
    }
    /* The run's own scope: systemd stops it once its cgroup empties, but
     * not where it missed that (the run died as systemd moved it in):
     * an empty one is stopped here.  One that still runs a job (--wait)
     * waits for the next reclaim. */
    for (size_t i = 0; i < f->n; i++) {
        const char *dir = f->e[i].path;
        if (f->e[i].kind != 's' || !on_cgroupfs(dir))
            continue;
        if (!unpopulated(dir)) {
            left++;
            busy = busy ? busy : dir;
            continue;
        }
        const char *user = strcmp(f->e[i].user, "-") == 0 ? NULL : f->e[i].user;
        if (mcg_systemd_stop(f->e[i].unit, user) == 0 && say > 1)
            fprintf(stderr, "mcgexec: --gc: stop %s\n", f->e[i].unit);
    }
    /* A scope the run was starting when it died, which it never named
     * (no `scope` line): systemd may keep it running, empty, as above.
     * Its cgroup is asked of the manager, and the scope stopped only where
     * that cgroup is empty: the run died before its job was started, so
     * one with processes is a live run's, started under the same name
     * since (the pid reused), and not this run's to touch. */
    for (size_t i = 0; i < f->n; i++) {
        char cg[MCG_FILE_PATH], dir[MCG_FILE_PATH + PATH_MAX], why[sizeof(f->e[i].user) + 64];
        const char *user = strcmp(f->e[i].user, "-") == 0 ? NULL : f->e[i].user;
        if (f->e[i].kind != 'p' || named_scope(f, f->e[i].unit))
            continue;
        /* (a user manager that has gone took its scopes with it) */
        if (user && mcg_user_manager_absent(user, 1, why, sizeof(why)))
            continue;
        if (mcg_systemd_unit_cgroup(f->e[i].unit, user, cg, sizeof(cg)) < 0) {
            left++;
            busy = busy ? busy : f->e[i].unit;
            if (say > 1)
                fprintf(stderr, "mcgexec: --gc: %s: %s: left for the next reclaim\n",
                        f->e[i].unit, cg);
            continue;
        }
        snprintf(dir, sizeof(dir), "%s%s", f->e[i].path, cg);
        if (!cg[0] || !on_cgroupfs(dir) || !unpopulated(dir))
            continue;
        if (mcg_systemd_stop(f->e[i].unit, user) == 0 && say > 1)
            fprintf(stderr, "mcgexec: --gc: stop %s (empty; the run died starting it)\n",
                    f->e[i].unit);
    }
    c->runs++;
    c->removed += removed;
    c->killed += killed;
    c->kept += left;
    if (say && (removed || killed || left)) {
        char kills[64] = "";
        if (killed)
            snprintf(kills, sizeof(kills), ", killed %d process%s of its job", killed,
                     killed == 1 ? "" : "es");
        if (left)
            mcg_warn("run %d ended without cleaning up (killed?): removed %d group%s%s; %d "
                     "still in use (%s), left for the next reclaim (mcgexec --gc)",
                     (int)f->pid, removed, removed == 1 ? "" : "s", kills, left, busy);
        else
            fprintf(stderr,
                    "mcgexec: run %d ended without cleaning up (killed?): removed %d group%s%s\n",
                    (int)f->pid, removed, removed == 1 ? "" : "s", kills);
    }
    (void)sdir;
    return left == 0;
}

/* Read the directory's run files: *out, their number; how many are of
 * dead runs (not counting runs that started their command in place). */
static int scan(const char *dir, struct runfile **out, size_t *n, int *dead)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    struct runfile *files = NULL;

    *n = 0;
    *dead = 0;
    if (!d)
        return -1;
    while ((de = readdir(d))) {
        struct runfile f = { 0 };
        if (de->d_name[0] == '.' || parse_name(de->d_name, &f) < 0)
            continue;
        files = realloc(files, (*n + 1) * sizeof(*files));
        if (!files)
            abort();
        /* an in place run's, once its command is gone: nothing to do but
         * forget it (it protected the command's groups while it ran) */
        if (!f.live && f.exec) {
            unlinkat(dirfd(d), f.name, 0);
            continue;
        }
        files[(*n)++] = f;
        *dead += !f.live;
    }
    closedir(d);
    *out = files;
    return 0;
}

int mcg_reclaim(int wait, int say, struct mcg_reclaim_counts *c, struct mcg_error *err)
{
    const char *dir = mcg_state_dir();
    struct runfile *files = NULL;
    size_t n = 0;
    int dead, lock = -1, status = 0;
    char path[PATH_MAX];

    memset(c, 0, sizeof(*c));
    if (!dir)
        return 0;
    /* (a run in passing looks without the lock, and takes it only where
     * there is something to do: most of the time there is not) */
    if (scan(dir, &files, &n, &dead) < 0)
        return errno == ENOENT ? 0 : mcg_fail_errno(err, errno, "cannot read %s", dir);
    if (!dead && !wait)
        goto out;
    snprintf(path, sizeof(path), "%s/lock", dir);
    lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0) {
        mcg_fail_errno(err, errno, "cannot open %s", path);
        goto fail;
    }
    if (flock(lock, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
        if (!wait) /* a run is making groups: the next reclaim will do */
            goto out;
        mcg_fail_errno(err, errno, "cannot lock %s", path);
        goto fail;
    }
    /* again, under the lock: runs may have come and gone */
    for (size_t i = 0; i < n; i++)
        free_file(&files[i]);
    free(files);
    if (scan(dir, &files, &n, &dead) < 0) {
        mcg_fail_errno(err, errno, "cannot read %s", dir);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        read_entries(dir, &files[i]);
    for (size_t i = 0; i < n; i++) {
        struct runfile *f = &files[i];
        if (f->live)
            continue;
        if (reclaim_run(dir, f, files, n, say, c)) {
            snprintf(path, sizeof(path), "%s/%s", dir, f->name);
            unlink(path);
            /* (its groups no longer protect anything) */
            free_file(f);
        }
    }
out:
    for (size_t i = 0; i < n; i++)
        free_file(&files[i]);
    free(files);
    if (lock >= 0)
        close(lock);
    return status;
fail:
    status = -1;
    goto out;
}
