#define _GNU_SOURCE
#include "cgroupfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

/* A group directory of a controller: what this run created, or must join. */
struct group_ref { enum mcg_ctrl ctrl; char *dir; };
struct moved { enum mcg_ctrl ctrl; pid_t pid; char *from; /* absolute dir */ };

static const char *const ctrl_names[MCG_NCTRL] = {
    [MCG_CPU] = "cpu", [MCG_CPUACCT] = "cpuacct", [MCG_CPUSET] = "cpuset",
    [MCG_BLKIO] = "blkio", [MCG_MEMORY] = "memory", [MCG_PIDS] = "pids",
};

const char *mcg_ctrl_name(enum mcg_ctrl c)
{
    return ctrl_names[c];
}

/* ---- small helpers ---------------------------------------------------- */

static void list_push(struct mcg_list *l, void *item)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->items = realloc(l->items, l->cap * sizeof(*l->items));
        if (!l->items)
            abort();
    }
    l->items[l->n++] = item;
}

static void list_remove(struct mcg_list *l, size_t i)
{
    memmove(&l->items[i], &l->items[i + 1], (l->n - i - 1) * sizeof(*l->items));
    l->n--;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        abort();
    return p;
}

static void push_ref(struct mcg_list *l, enum mcg_ctrl c, const char *dir)
{
    struct group_ref *r = malloc(sizeof(*r));
    if (!r)
        abort();
    r->ctrl = c;
    r->dir = xstrdup(dir);
    list_push(l, r);
}

static void free_refs(struct mcg_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(((struct group_ref *)l->items[i])->dir);
        free(l->items[i]);
    }
    l->n = 0;
}

/* Is `dir` equal to `top` or below it? */
static int path_within(const char *dir, const char *top)
{
    size_t n = strlen(top);
    return strncmp(dir, top, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/* Forget `dir` and the groups below it. */
static void drop_refs_within(struct mcg_list *l, const char *dir)
{
    for (size_t i = l->n; i-- > 0;) {
        struct group_ref *r = l->items[i];
        if (path_within(r->dir, dir)) {
            free(r->dir);
            free(r);
            list_remove(l, i);
        }
    }
}

void mcg_run_init(struct mcg_run *run, int dry_run, int verbose, const char *root)
{
    memset(run, 0, sizeof(*run));
    run->dry_run = dry_run;
    run->verbose = verbose;
    run->root = root;
    run->pid = getpid();
    for (int c = 0; c < MCG_NCTRL; c++)
        run->hier[c].name = ctrl_names[c];
}

void mcg_run_free(struct mcg_run *run)
{
    mcg_commit(run);    /* frees created and moved */
    free_refs(&run->pending);
    for (size_t i = 0; i < run->planned.n; i++)
        free(run->planned.items[i]);
    struct mcg_list *lists[] = { &run->created, &run->moved, &run->pending, &run->planned };
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        free(lists[l]->items);
        *lists[l] = (struct mcg_list){ 0 };
    }
}

void mcg_log(struct mcg_run *run, const char *fmt, ...)
{
    FILE *out = run->dry_run ? stdout : run->verbose ? stderr : NULL;
    va_list ap;

    if (!out)
        return;
    if (!run->dry_run)
        fputs("mcgexec: ", out);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

/* ---- finding the hierarchies (once per run) --------------------------- */

/* Our own cgroup in each v1 hierarchy, from /proc/PID/cgroup
 * ("4:memory:/a/b", "2:cpu,cpuacct:/"). */
static int read_proc_cgroup(pid_t pid, enum mcg_ctrl want, char *out, size_t len)
{
    char path[64], line[4096];
    FILE *f;
    int found = -1;

    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    while (found < 0 && fgets(line, sizeof(line), f)) {
        char *ctrls = strchr(line, ':'), *p;
        if (!ctrls || !(p = strchr(++ctrls, ':')))
            continue;
        *p++ = '\0';
        p[strcspn(p, "\n")] = '\0';
        for (char *save = NULL, *tok = strtok_r(ctrls, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            if (strcmp(tok, ctrl_names[want]) == 0) {
                /* stored without the leading '/', so "" is the root */
                snprintf(out, len, "%s", p[0] == '/' ? p + 1 : p);
                found = 0;
                break;
            }
        }
    }
    fclose(f);
    return found;
}

static int discover(struct mcg_run *run, struct mcg_error *err)
{
    int ret = cgroup_init();

    run->discovered = 1;
    /* ECGROUPNOTMOUNTED: nothing is mounted; each controller reports itself
     * as missing when it is used. */
    if (ret && ret != ECGROUPNOTMOUNTED)
        return mcg_fail(err, "cannot read the cgroup mounts: %s", cgroup_strerror(ret));

    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->hier[c];
        char *mp = NULL;
        struct statfs sfs;

        if (ret == 0 && cgroup_get_subsys_mount_point(h->name, &mp) == 0 && mp &&
            statfs(mp, &sfs) == 0 && sfs.f_type == CGROUP_SUPER_MAGIC) {
            /* libcgroup 2.0.2 maps controllers it does not find in v1 to
             * the cgroup2 mount even when that has none (hybrid hosts):
             * only a v1 mount counts. */
            snprintf(h->mount, sizeof(h->mount), "%s", mp);
        }
        free(mp);
        if (!h->mount[0])
            continue;
        if (read_proc_cgroup(run->pid, c, h->orig, sizeof(h->orig)) < 0)
            h->orig[0] = '\0';
        memcpy(h->cur, h->orig, sizeof(h->cur));

        if (!run->root)
            h->base[0] = '\0';
        else if (strcmp(run->root, "self") == 0)
            memcpy(h->base, h->orig, sizeof(h->base));
        else
            snprintf(h->base, sizeof(h->base), "%s",
                     run->root[0] == '/' ? run->root + 1 : run->root);
        /* "/a/b/" -> "a/b" */
        size_t n = strlen(h->base);
        while (n > 0 && h->base[n - 1] == '/')
            h->base[--n] = '\0';
    }
    return 0;
}

static int hier_get(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier **out,
                    struct mcg_error *err)
{
    if (!run->discovered && discover(run, err) < 0)
        return -1;
    if (!run->hier[c].mount[0])
        return mcg_fail(err, "controller '%s' is not mounted on this host", ctrl_names[c]);
    *out = &run->hier[c];
    return 0;
}

/* mount + "/" + rel; -1 when it does not fit. */
static int join_path(char *out, size_t len, const char *mount, const char *rel)
{
    int n = snprintf(out, len, "%s%s%s", mount, rel[0] ? "/" : "", rel);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int mcg_group_dir(struct mcg_run *run, enum mcg_ctrl c, const char *name, char *dir,
                  size_t len, struct mcg_error *err)
{
    struct mcg_hier *h = NULL;
    char rel[PATH_MAX];

    if (hier_get(run, c, &h, err) < 0)
        return -1;
    while (*name == '/')
        name++;
    if (snprintf(rel, sizeof(rel), "%s%s%s", h->base, h->base[0] && name[0] ? "/" : "",
                 name) >= (int)sizeof(rel))
        return mcg_fail(err, "group name too long");
    if (join_path(dir, len, h->mount, rel) < 0)
        return mcg_fail(err, "group path too long: %s/%s", h->mount, rel);
    return 0;
}

/* The hierarchy-relative part of an absolute group directory. */
static const char *rel_of(const struct mcg_hier *h, const char *dir)
{
    const char *r = dir + strlen(h->mount);
    return *r == '/' ? r + 1 : r;
}

/* ---- plan bookkeeping for dry runs ------------------------------------ */

static int planned(struct mcg_run *run, const char *dir)
{
    for (size_t i = 0; i < run->planned.n; i++)
        if (strcmp(run->planned.items[i], dir) == 0)
            return 1;
    return 0;
}

static void unplan(struct mcg_run *run, const char *dir)
{
    for (size_t i = run->planned.n; i-- > 0;)
        if (path_within(run->planned.items[i], dir)) {
            free(run->planned.items[i]);
            list_remove(&run->planned, i);
        }
}

int mcg_dir_exists(struct mcg_run *run, const char *dir)
{
    struct stat st;
    return (run->dry_run && planned(run, dir)) || (stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
}

/* ---- file access ------------------------------------------------------ */

static int write_file(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    size_t len = strlen(value);

    if (fd < 0)
        return -1;
    /* One write(2): cgroup files take the whole value in one call. */
    ssize_t n = write(fd, value, len);
    int saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    return 0;
}

int mcg_write(struct mcg_run *run, const char *dir, const char *file, const char *value,
              struct mcg_error *err)
{
    char path[MCG_FILE_PATH];

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    mcg_log(run, "write %s %s", path, value);
    if (run->dry_run)
        return 0;
    if (write_file(path, value) < 0)
        return mcg_fail_errno(err, errno, "write %s", path);
    return 0;
}

static int read_file(const char *path, char **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0, cap = 4096;
    char *buf;

    if (fd < 0)
        return -1;
    buf = malloc(cap);
    if (!buf)
        abort();
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            int saved = errno;
            free(buf);
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
    }
    close(fd);
    while (len > 0 && buf[len - 1] == '\n')
        len--;
    buf[len] = '\0';
    *out = buf;
    return 0;
}

int mcg_read(struct mcg_run *run, const char *dir, const char *file, char **out,
             struct mcg_error *err)
{
    char path[MCG_FILE_PATH];

    (void)run;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (read_file(path, out) < 0)
        return mcg_fail_errno(err, errno, "read %s", path);
    return 0;
}

/* ---- groups ----------------------------------------------------------- */

/* A new v1 cpuset group starts with empty cpuset.cpus and cpuset.mems and
 * refuses tasks (ENOSPC) until they are set: copy them from the nearest
 * ancestor that has them, as runc and crun do. */
static int cpuset_inherit(struct mcg_run *run, const struct mcg_hier *h, const char *dir,
                          struct mcg_error *err)
{
    static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

    for (size_t i = 0; i < 2; i++) {
        char up[PATH_MAX], *val = NULL;
        snprintf(up, sizeof(up), "%s", dir);
        while (strlen(up) > strlen(h->mount)) {
            *strrchr(up, '/') = '\0';
            if (run->dry_run && planned(run, up))
                continue;
            char path[MCG_FILE_PATH];
            snprintf(path, sizeof(path), "%s/%s", up, files[i]);
            if (read_file(path, &val) < 0)
                return mcg_fail_errno(err, errno, "read %s", path);
            if (val[0])
                break;
            free(val);
            val = NULL;
        }
        if (!val)
            return mcg_fail(err, "no ancestor of %s has %s set", dir, files[i]);
        int r = mcg_write(run, dir, files[i], val, err);
        free(val);
        if (r < 0)
            return -1;
    }
    return 0;
}

int mcg_create(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
               struct mcg_error *err)
{
    struct mcg_hier *h = NULL;
    char path[PATH_MAX];
    size_t top;

    if (hier_get(run, c, &h, err) < 0)
        return -1;
    *created = 0;
    snprintf(path, sizeof(path), "%s", dir);
    /* mkdir -p below the mount point; EEXIST means another run (or an
     * earlier part of this policy) made it, which is not an error. */
    top = strlen(h->mount);
    for (char *p = path + top + 1; p <= path + strlen(dir); p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (!mcg_dir_exists(run, path)) {
            mcg_log(run, "mkdir %s", path);
            if (run->dry_run) {
                list_push(&run->planned, xstrdup(path));
            } else if (mkdir(path, 0755) < 0) {
                if (errno != EEXIST)
                    return mcg_fail_errno(err, errno, "mkdir %s", path);
                *p = saved;
                continue;
            }
            push_ref(&run->created, c, path);
            if (saved == '\0')
                *created = 1;
            if (c == MCG_CPUSET && cpuset_inherit(run, h, path, err) < 0)
                return -1;
        }
        *p = saved;
    }
    return 0;
}

/* Record where `pid` is now in this hierarchy, so a rollback can put it back. */
static void remember_origin(struct mcg_run *run, enum mcg_ctrl c, const struct mcg_hier *h,
                            pid_t pid)
{
    char rel[PATH_MAX], abs[PATH_MAX];

    for (size_t i = 0; i < run->moved.n; i++) {
        struct moved *m = run->moved.items[i];
        if (m->pid == pid && strcmp(run->hier[m->ctrl].mount, h->mount) == 0)
            return;
    }
    if (pid == run->pid)
        snprintf(rel, sizeof(rel), "%s", h->cur);
    else if (read_proc_cgroup(pid, c, rel, sizeof(rel)) < 0)
        return;
    if (join_path(abs, sizeof(abs), h->mount, rel) < 0)
        return;
    struct moved *m = malloc(sizeof(*m));
    if (!m)
        abort();
    m->ctrl = c;
    m->pid = pid;
    m->from = xstrdup(abs);
    list_push(&run->moved, m);
}

/* Our position changed in `h` and in every controller co-mounted with it. */
static void set_cur(struct mcg_run *run, const struct mcg_hier *h, const char *dir)
{
    char rel[PATH_MAX];

    snprintf(rel, sizeof(rel), "%s", rel_of(h, dir));
    for (int c = 0; c < MCG_NCTRL; c++)
        if (strcmp(run->hier[c].mount, h->mount) == 0)
            snprintf(run->hier[c].cur, sizeof(run->hier[c].cur), "%s", rel);
}

int mcg_attach(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
               struct mcg_error *err)
{
    struct mcg_hier *h = NULL;
    char buf[32];

    if (hier_get(run, c, &h, err) < 0)
        return -1;
    if (!mcg_dir_exists(run, dir))
        return mcg_fail(err, "attach: group %s does not exist (call create first)", dir);
    if (!run->dry_run)
        remember_origin(run, c, h, pid);
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    mcg_log(run, "attach %s %s", dir, buf);
    if (!run->dry_run) {
        char path[MCG_FILE_PATH];
        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        if (write_file(path, buf) < 0)
            return mcg_fail_errno(err, errno, "attach pid %s to %s", buf, dir);
    }
    if (pid == run->pid)
        set_cur(run, h, dir);
    return 0;
}

int mcg_delete(struct mcg_run *run, enum mcg_ctrl c, const char *dir, struct mcg_error *err)
{
    struct mcg_hier *h = NULL;
    char parent[PATH_MAX], *procs = NULL;

    if (hier_get(run, c, &h, err) < 0)
        return -1;
    if (strlen(dir) <= strlen(h->mount))
        return mcg_fail(err, "delete: refusing to remove the root of the %s hierarchy",
                        h->name);
    snprintf(parent, sizeof(parent), "%s", dir);
    *strrchr(parent, '/') = '\0';

    if (!run->dry_run) {
        /* v1 semantics of libcgroup's delete: the processes move up. */
        if (mcg_read(run, dir, "cgroup.procs", &procs, err) < 0)
            return -1;
        for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok;
             tok = strtok_r(NULL, "\n", &save)) {
            char path[MCG_FILE_PATH];
            snprintf(path, sizeof(path), "%s/cgroup.procs", parent);
            mcg_log(run, "attach %s %s", parent, tok);
            if (write_file(path, tok) < 0 && errno != ESRCH) {
                int e = errno;
                free(procs);
                return mcg_fail_errno(err, e, "move pid %s to %s", tok, parent);
            }
        }
        free(procs);
    }
    char cur[PATH_MAX];
    if (join_path(cur, sizeof(cur), h->mount, h->cur) == 0 && path_within(cur, dir))
        set_cur(run, h, parent);
    mcg_log(run, "rmdir %s", dir);
    if (run->dry_run) {
        unplan(run, dir);
    } else if (rmdir(dir) < 0) {
        return mcg_fail_errno(err, errno, "rmdir %s", dir);
    }
    drop_refs_within(&run->created, dir);
    drop_refs_within(&run->pending, dir);
    return 0;
}

int mcg_add_pending(struct mcg_run *run, enum mcg_ctrl c, const char *dir)
{
    for (size_t i = 0; i < run->pending.n; i++) {
        struct group_ref *p = run->pending.items[i];
        if (p->ctrl == c && strcmp(p->dir, dir) == 0)
            return 0;
    }
    push_ref(&run->pending, c, dir);
    return 0;
}

int mcg_join_pending(struct mcg_run *run, struct mcg_error *err)
{
    for (int c = 0; c < MCG_NCTRL; c++) {
        const char *target = NULL;

        if (run->hier[c].explicit_attach)
            continue;
        for (size_t i = 0; i < run->pending.n; i++) {
            struct group_ref *p = run->pending.items[i];
            if (p->ctrl != (enum mcg_ctrl)c)
                continue;
            if (!target || path_within(p->dir, target)) {
                target = p->dir;     /* deeper (or first): join this one */
            } else if (!path_within(target, p->dir)) {
                return mcg_fail(err,
                                "the policy set up two %s groups, %s and %s, and attached to "
                                "neither: call attach on the one the command should join",
                                run->hier[c].name, target, p->dir);
            }
        }
        if (!target)
            continue;
        char cur[PATH_MAX];
        if (join_path(cur, sizeof(cur), run->hier[c].mount, run->hier[c].cur) == 0 &&
            strcmp(cur, target) == 0)
            continue;   /* already there (or co-mounted with one we joined) */
        if (mcg_attach(run, c, target, run->pid, err) < 0)
            return -1;
    }
    return 0;
}

void mcg_rollback(struct mcg_run *run)
{
    if (run->dry_run)
        return;
    /* Processes first: a group with members cannot be removed. */
    for (size_t i = run->moved.n; i-- > 0;) {
        struct moved *m = run->moved.items[i];
        char path[MCG_FILE_PATH], buf[32];
        snprintf(path, sizeof(path), "%s/cgroup.procs", m->from);
        snprintf(buf, sizeof(buf), "%d", (int)m->pid);
        mcg_log(run, "attach %s %s", m->from, buf);
        if (write_file(path, buf) < 0 && errno != ESRCH)
            fprintf(stderr, "mcgexec: warning: cannot move pid %s back to %s: %s\n", buf,
                    m->from, strerror(errno));
    }
    for (size_t i = run->created.n; i-- > 0;) {
        struct group_ref *cr = run->created.items[i];
        mcg_log(run, "rmdir %s", cr->dir);
        /* A fresh group can stay busy for a moment after its last task
         * left: retry EBUSY briefly. */
        for (int tries = 0; rmdir(cr->dir) < 0 && errno != ENOENT; tries++) {
            if (errno != EBUSY || tries == 50) {
                fprintf(stderr, "mcgexec: warning: cannot remove %s: %s\n", cr->dir,
                        strerror(errno));
                break;
            }
            nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
        }
    }
    mcg_commit(run);
}

void mcg_commit(struct mcg_run *run)
{
    free_refs(&run->created);
    for (size_t i = 0; i < run->moved.n; i++) {
        free(((struct moved *)run->moved.items[i])->from);
        free(run->moved.items[i]);
    }
    run->moved.n = 0;
}
