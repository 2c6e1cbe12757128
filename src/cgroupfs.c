#define _GNU_SOURCE
#include "cgroupfs.h"
#include "cgroupfs-internal.h"
#include "xalloc.h"
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

static void push_ref(struct mcg_list *l, enum mcg_ctrl c, const char *dir)
{
    struct group_ref *r = malloc(sizeof(*r));
    if (!r)
        abort();
    r->ctrl = c;
    r->dir = xstrdup(dir);
    r->gone = 0;
    list_push(l, r);
}

void mcg_free_refs(struct mcg_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(((struct group_ref *)l->items[i])->dir);
        free(l->items[i]);
    }
    l->n = 0;
}

/* Is `dir` equal to `top` or below it? */
int mcg_path_within(const char *dir, const char *top)
{
    size_t n = strlen(top);
    return strncmp(dir, top, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/* Forget `dir` and the groups below it. */
static void drop_refs_within(struct mcg_list *l, const char *dir)
{
    for (size_t i = l->n; i-- > 0;) {
        struct group_ref *r = l->items[i];
        if (mcg_path_within(r->dir, dir)) {
            free(r->dir);
            free(r);
            list_remove(l, i);
        }
    }
}

/* A path of the run: "" (never freed) or an allocated string. */
static char no_path[1];

static void set_path(char **field, const char *value)
{
    if (value == *field)
        return;
    if (*field && *field != no_path)
        free(*field);
    *field = value[0] ? xstrdup(value) : no_path;
}

void mcg_run_init(struct mcg_run *run, int dry_run, int verbose, const char *root)
{
    memset(run, 0, sizeof(*run));
    run->dry_run = dry_run;
    run->verbose = verbose;
    run->root = root;
    run->pid = getpid();
    run->unified = no_path;
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->hier[c];
        h->mount = h->mnt_root = h->base = h->orig = h->cur = h->job = no_path;
    }
}

void mcg_run_free(struct mcg_run *run)
{
    mcg_guard_forget(run); /* the atexit handler must not see it after this */
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->hier[c];
        char **paths[] = { &h->mount, &h->mnt_root, &h->base, &h->orig, &h->cur, &h->job };
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
            set_path(paths[i], "");
    }
    set_path(&run->unified, "");
    mcg_commit(run);    /* frees created and moved */
    mcg_free_refs(&run->pending);
    for (size_t i = 0; i < run->planned.n; i++)
        free(run->planned.items[i]);
    struct mcg_list *lists[] = { &run->created, &run->moved, &run->pending, &run->planned,
                                 &run->enabled };
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

/* The controller behind each class on cgroup v2.  CPUACCT reads cpu.stat,
 * which every v2 group has: it needs no controller. */
const char *const mcg_v2_names[MCG_NCTRL] = {
    [MCG_CPU] = "cpu", [MCG_CPUACCT] = NULL, [MCG_CPUSET] = "cpuset",
    [MCG_BLKIO] = "io", [MCG_MEMORY] = "memory", [MCG_PIDS] = "pids",
};

const char *mcg_file_prefix(const struct mcg_run *run, enum mcg_ctrl c)
{
    if (run->layout != MCG_LAYOUT_UNIFIED)
        return ctrl_names[c];
    return mcg_v2_names[c] ? mcg_v2_names[c] : "cpu";
}

const char *mcg_layout_name(const struct mcg_run *run)
{
    switch (run->layout) {
    case MCG_LAYOUT_V1: return "v1";
    case MCG_LAYOUT_HYBRID: return "v1 (hybrid)";
    case MCG_LAYOUT_UNIFIED: return "v2 (unified)";
    default: return "none";
    }
}

/* Is `word` one of the blank-separated words of `text`? */
static int has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; (p = strstr(p, word)); p += n)
        if ((p == text || p[-1] == ' ' || p[-1] == '\n') &&
            (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
            return 1;
    return 0;
}

static int read_file(const char *path, char **out);

/* Where `pid` is in each hierarchy (relative to its mount, "" = root), from
 * /proc/PID/cgroup: rels[c] for the v1 hierarchies, *v2rel for cgroup2,
 * allocated, NULL where the file has no line for it. */
static int read_proc_cgroup_all(const struct mcg_run *run, pid_t pid, char **rels, char **v2rel)
{
    char path[64], *text;
    const char *roots[MCG_NCTRL];

    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    if (read_file(path, &text) < 0)
        return -1;
    for (int i = 0; i < MCG_NCTRL; i++)
        roots[i] = run->hier[i].mnt_root;
    mcg_parse_proc_cgroup(text, ctrl_names, MCG_NCTRL, roots, rels,
                          run->layout == MCG_LAYOUT_UNIFIED ? run->hier[MCG_CPUACCT].mnt_root : NULL,
                          v2rel);
    free(text);
    return 0;
}

static void free_rels(char **rels, char *v2rel)
{
    for (int i = 0; i < MCG_NCTRL; i++)
        free(rels[i]);
    free(v2rel);
}

/* Where `pid` is in hierarchy `c`, into out. */
static int read_proc_cgroup(const struct mcg_run *run, pid_t pid, enum mcg_ctrl c, char *out,
                            size_t len)
{
    char *rels[MCG_NCTRL], *v2rel;
    if (read_proc_cgroup_all(run, pid, rels, &v2rel) < 0)
        return -1;
    const char *rel = run->layout == MCG_LAYOUT_UNIFIED ? v2rel : rels[c];
    int r = rel ? 0 : -1;
    if (rel)
        snprintf(out, len, "%s", rel);
    free_rels(rels, v2rel);
    return r;
}

/* Find the hierarchies and where mcgexec is in them: one read of
 * /proc/self/mountinfo and one of /proc/PID/cgroup, whatever the policy
 * then asks for. */
static int discover(struct mcg_run *run, struct mcg_error *err)
{
    struct mcg_mount v1[MCG_NCTRL], v2;
    int have1 = 0, ret = 0;
    char *mountinfo;

    run->discovered = 1;
    if (read_file("/proc/self/mountinfo", &mountinfo) < 0)
        return mcg_fail_errno(err, errno, "cannot read the cgroup mounts: /proc/self/mountinfo");
    mcg_find_mounts(mountinfo, ctrl_names, MCG_NCTRL, v1, &v2);
    free(mountinfo);
    for (int c = 0; c < MCG_NCTRL; c++)
        if (v1[c].path) {
            set_path(&run->hier[c].mount, v1[c].path);
            set_path(&run->hier[c].mnt_root, v1[c].root);
            have1 = 1;
        }

    if (have1) {
        run->layout = v2.path ? MCG_LAYOUT_HYBRID : MCG_LAYOUT_V1;
    } else if (v2.path) {
        char path[PATH_MAX + 32], *avail = NULL;
        run->layout = MCG_LAYOUT_UNIFIED;
        set_path(&run->unified, v2.path);
        snprintf(path, sizeof(path), "%s/cgroup.controllers", v2.path);
        if (read_file(path, &avail) < 0) {
            ret = mcg_fail_errno(err, errno, "read %s", path);
            goto out;
        }
        for (int c = 0; c < MCG_NCTRL; c++)
            if (!mcg_v2_names[c] || has_word(avail, mcg_v2_names[c])) {
                set_path(&run->hier[c].mount, v2.path);
                set_path(&run->hier[c].mnt_root, v2.root);
            }
        free(avail);
    }
    mcg_log(run, "%scgroup layout: %s", run->dry_run ? "# " : "", mcg_layout_name(run));

    /* where we are: one read for all hierarchies */
    char *rels[MCG_NCTRL] = { NULL }, *v2rel = NULL;
    read_proc_cgroup_all(run, run->pid, rels, &v2rel); /* unread: all at the root */
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->hier[c];
        if (!h->mount[0])
            continue;
        const char *rel = run->layout == MCG_LAYOUT_UNIFIED ? v2rel : rels[c];
        set_path(&h->orig, rel ? rel : "");
        set_path(&h->cur, h->orig);
        if (!run->root)
            set_path(&h->base, "");
        else if (strcmp(run->root, "self") == 0)
            set_path(&h->base, h->orig);
        else
            set_path(&h->base, run->root[0] == '/' ? run->root + 1 : run->root);
        /* "/a/b/" -> "a/b" */
        size_t n = strlen(h->base);
        while (n > 0 && h->base[n - 1] == '/')
            h->base[--n] = '\0';
    }
    free_rels(rels, v2rel);
out:
    for (int c = 0; c < MCG_NCTRL; c++)
        mcg_mount_free(&v1[c]);
    mcg_mount_free(&v2);
    return ret;
}

static int hier_get(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier **out,
                    struct mcg_error *err)
{
    if (!run->discovered && discover(run, err) < 0)
        return -1;
    if (!run->hier[c].mount[0]) {
        if (run->layout == MCG_LAYOUT_UNIFIED)
            mcg_fail(err, "controller '%s' is not available on this host (not in %s/cgroup.controllers)",
                     mcg_v2_names[c], run->unified);
        else
            mcg_fail(err, "controller '%s' is not mounted on this host", ctrl_names[c]);
        err->about_host = 1;
        return -1;
    }
    *out = &run->hier[c];
    return 0;
}

int mcg_layout(struct mcg_run *run, struct mcg_error *err)
{
    if (!run->discovered && discover(run, err) < 0)
        return -1;
    return (int)run->layout;
}

/* mount + "/" + rel; -1 when it does not fit. */
static int join_path(char *out, size_t len, const char *mount, const char *rel)
{
    int n = snprintf(out, len, "%s%s%s", mount, rel[0] ? "/" : "", rel);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The absolute directory mcgexec is in now, in hierarchy h. */
int mcg_cur_dir(const struct mcg_hier *h, char *out, size_t len)
{
    return join_path(out, len, h->mount, h->cur);
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
        if (mcg_path_within(run->planned.items[i], dir)) {
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

int mcg_write_file(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    size_t len = strlen(value);

    if (fd < 0)
        return -1;
    /* A write of 0 bytes never reaches the kernel's handler: "" (clear
     * cpuset.cpus, say) is written as a lone newline, which it strips. */
    if (len == 0) {
        value = "\n";
        len = 1;
    }
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
    if (mcg_write_file(path, value) < 0)
        return mcg_fail_errno(err, errno, "write %s", path);
    return 0;
}

/* Move process `pid` (a decimal string) into dir: one line of the plan or
 * the verbose log, then one write of cgroup.procs.  -1 with errno. */
int mcg_put_pid(struct mcg_run *run, const char *dir, const char *pid)
{
    char path[MCG_FILE_PATH];

    mcg_log(run, "attach %s %s", dir, pid);
    if (run->dry_run)
        return 0;
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    return mcg_write_file(path, pid);
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

static int make_dir(struct mcg_run *run, enum mcg_ctrl c, const char *path, int *made,
                    struct mcg_error *err)
{
    *made = 0;
    if (mcg_dir_exists(run, path))
        return 0;
    mcg_log(run, "mkdir %s", path);
    if (run->dry_run) {
        list_push(&run->planned, xstrdup(path));
    } else if (mkdir(path, 0755) < 0) {
        /* EEXIST: another run (or an earlier part of this policy) made it */
        return errno == EEXIST ? 0 : mcg_fail_errno(err, errno, "mkdir %s", path);
    }
    push_ref(&run->created, c, path);
    *made = 1;
    return 0;
}

static int attach_pid(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h, const char *dir,
                      pid_t pid, struct mcg_error *err);
static int write_pid(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                     struct mcg_error *err);

/* cgroup v2: a controller works in a group only when its parent lists it
 * in cgroup.subtree_control.  Add it to `parent` if missing.  The kernel
 * refuses (EBUSY) where the parent has processes of its own; when that
 * process is mcgexec alone (its own cgroup, under --root self), it moves
 * into a leaf of its own and tries again. */
static int enable_in(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h,
                     const char *parent, struct mcg_error *err)
{
    const char *name = mcg_v2_names[c];
    char *text = NULL, cur[PATH_MAX];

    for (size_t i = 0; i < run->enabled.n; i++) {
        struct group_ref *r = run->enabled.items[i];
        if (strcmp(r->dir, parent) == 0 && mcg_v2_names[r->ctrl] == name)
            return 0;
    }
    if (!(run->dry_run && access(parent, F_OK) != 0)) {
        if (mcg_read(run, parent, "cgroup.subtree_control", &text, err) < 0)
            return -1;
        int on = has_word(text, name);
        free(text);
        if (on)
            return 0;
        if (mcg_read(run, parent, "cgroup.controllers", &text, err) < 0)
            return -1;
        int avail = has_word(text, name);
        free(text);
        if (!avail) {
            mcg_fail(err, "controller '%s' is not available in %s (enable it in the parent's "
                          "cgroup.subtree_control)", name, parent);
            err->about_host = 1;
            return -1;
        }
    }
    char plus[32];
    snprintf(plus, sizeof(plus), "+%s", name);
    if (mcg_write(run, parent, "cgroup.subtree_control", plus, err) < 0) {
        if (err->errnum != EBUSY)
            return -1;
        if (mcg_cur_dir(h, cur, sizeof(cur)) == 0 && strcmp(cur, parent) == 0 &&
            !run->self_leaf) {
            char leaf[PATH_MAX];
            int made;
            if (snprintf(leaf, sizeof(leaf), "%s/mcgexec.%d", parent, (int)run->pid) >=
                (int)sizeof(leaf))
                return mcg_fail(err, "path too long: %s", parent);
            if (make_dir(run, c, leaf, &made, err) < 0 ||
                attach_pid(run, c, h, leaf, run->pid, err) < 0)
                return -1;
            run->self_leaf = xstrdup(leaf);
            if (mcg_write(run, parent, "cgroup.subtree_control", plus, err) == 0)
                goto enabled;
            if (err->errnum != EBUSY)
                return -1;
        }
        return mcg_fail(err, "cannot enable controller '%s' in %s: it has processes of its "
                             "own, and cgroup v2 lets only a group without processes enable "
                             "controllers for its children (the no-internal-processes rule)",
                        name, parent);
    }
enabled:
    push_ref(&run->enabled, c, parent);
    return 0;
}

static int create_held(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
               struct mcg_error *err)
{
    struct mcg_hier *h = NULL;
    char path[PATH_MAX], base[PATH_MAX];
    int unified = run->layout == MCG_LAYOUT_UNIFIED;

    if (hier_get(run, c, &h, err) < 0)
        return -1;
    *created = 0;
    /* v1: a group that exists needs nothing (v2 still enables its
     * controllers level by level) */
    if (!unified && mcg_dir_exists(run, dir))
        return 0;
    snprintf(path, sizeof(path), "%s", dir);
    if (join_path(base, sizeof(base), h->mount, h->base) < 0)
        return mcg_fail(err, "root path too long");
    /* mkdir -p below the mount point, one level at a time */
    for (char *p = path + strlen(h->mount) + 1; p <= path + strlen(dir); p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        int made;
        *p = '\0';
        if (unified && mcg_v2_names[c]) {
            /* enable the controller in the parent, at or below the root
             * mcgexec works in: the levels above are not ours to change */
            char parent[PATH_MAX];
            snprintf(parent, sizeof(parent), "%s", path);
            *strrchr(parent, '/') = '\0';
            if (mcg_path_within(parent, base) && enable_in(run, c, h, parent, err) < 0)
                return -1;
        }
        if (make_dir(run, c, path, &made, err) < 0)
            return -1;
        if (made && saved == '\0')
            *created = 1;
        if (made && !unified && c == MCG_CPUSET && cpuset_inherit(run, h, path, err) < 0)
            return -1;
        *p = saved;
    }
    return 0;
}

int mcg_create(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
               struct mcg_error *err)
{
    mcg_guard_hold();
    int r = create_held(run, c, dir, created, err);
    mcg_guard_release();
    return r;
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
    else if (read_proc_cgroup(run, pid, c, rel, sizeof(rel)) < 0)
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
            set_path(&run->hier[c].cur, rel);
}

static int attach_pid(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h, const char *dir,
                      pid_t pid, struct mcg_error *err)
{
    /* the write says whether the group exists; a dry run must look */
    if (run->dry_run && !mcg_dir_exists(run, dir))
        return mcg_fail(err, "attach: group %s does not exist (call create first)", dir);
    if (!run->dry_run)
        remember_origin(run, c, h, pid);
    if (write_pid(run, c, dir, pid, err) < 0) {
        if (err->errnum == ENOENT && !mcg_dir_exists(run, dir))
            return mcg_fail(err, "attach: group %s does not exist (call create first)", dir);
        return -1;
    }
    if (pid == run->pid)
        set_cur(run, h, dir);
    return 0;
}

/* pid into dir/cgroup.procs, with the cpuset retry and the messages. */
static int write_pid(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                     struct mcg_error *err)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%d", (int)pid);
    int r = mcg_put_pid(run, dir, buf);
    /* A v1 cpuset group another run has just made takes no tasks until
     * that run has copied cpus and mems into it: give it a moment. */
    for (int tries = 0; r < 0 && errno == ENOSPC && c == MCG_CPUSET && tries < 20; tries++) {
        nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
        r = mcg_put_pid(run, dir, buf);
    }
    if (r < 0) {
        if (errno == EBUSY && run->layout == MCG_LAYOUT_UNIFIED)
            return mcg_fail(err, "attach pid %s to %s: the group has controllers enabled "
                                 "for its children, and cgroup v2 puts processes only in "
                                 "groups without (the no-internal-processes rule)", buf, dir);
        if (errno == ENOSPC && c == MCG_CPUSET)
            return mcg_fail(err, "attach pid %s to %s: %s: the group's cpuset.cpus or "
                                 "cpuset.mems is empty (set cpus and mems)", buf, dir,
                            strerror(ENOSPC));
        return mcg_fail_errno(err, errno, "attach pid %s to %s", buf, dir);
    }
    return 0;
}

static int attach_held(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
               struct mcg_error *err)
{
    struct mcg_hier *h = NULL;

    if (hier_get(run, c, &h, err) < 0)
        return -1;
    return attach_pid(run, c, h, dir, pid, err);
}

int mcg_attach(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
               struct mcg_error *err)
{
    mcg_guard_hold();
    int r = attach_held(run, c, dir, pid, err);
    mcg_guard_release();
    return r;
}

static int has_subdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int found = 0;

    if (!d)
        return 0;
    while (!found && (de = readdir(d)))
        found = de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 &&
                strcmp(de->d_name, "..") != 0;
    closedir(d);
    return found;
}

static int delete_held(struct mcg_run *run, enum mcg_ctrl c, const char *dir, struct mcg_error *err)
{
    struct mcg_hier *h = NULL;
    char parent[PATH_MAX], *procs = NULL;

    if (hier_get(run, c, &h, err) < 0)
        return -1;
    if (strlen(dir) <= strlen(h->mount))
        return mcg_fail(err, "delete: refusing to remove the root of the %s hierarchy",
                        ctrl_names[c]);
    snprintf(parent, sizeof(parent), "%s", dir);
    *strrchr(parent, '/') = '\0';
    /* Gone already (on v2 every class names the same directory): done. */
    if (!mcg_dir_exists(run, dir))
        return 0;

    if (!run->dry_run) {
        /* v1 semantics of libcgroup's delete: the processes move up. */
        if (mcg_read(run, dir, "cgroup.procs", &procs, err) < 0)
            return -1;
        for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok;
             tok = strtok_r(NULL, "\n", &save)) {
            if (mcg_put_pid(run, parent, tok) < 0 && errno != ESRCH) {
                int e = errno;
                free(procs);
                return mcg_fail_errno(err, e, "move pid %s to %s", tok, parent);
            }
        }
        free(procs);
    }
    char cur[PATH_MAX];
    if (mcg_cur_dir(h, cur, sizeof(cur)) == 0 && mcg_path_within(cur, dir))
        set_cur(run, h, parent);
    mcg_log(run, "rmdir %s", dir);
    if (run->dry_run) {
        unplan(run, dir);
    } else if (rmdir(dir) < 0) {
        int e = errno;
        if (e == EBUSY && has_subdir(dir))
            return mcg_fail(err, "delete %s: %s: it has child groups (delete those first)",
                            dir, strerror(e));
        return mcg_fail_errno(err, e, "delete %s", dir);
    }
    drop_refs_within(&run->created, dir);
    drop_refs_within(&run->pending, dir);
    return 0;
}

int mcg_delete(struct mcg_run *run, enum mcg_ctrl c, const char *dir, struct mcg_error *err)
{
    mcg_guard_hold();
    int r = delete_held(run, c, dir, err);
    mcg_guard_release();
    return r;
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

/* Do controllers c and d live in one hierarchy (v2, or co-mounted v1)? */
static int same_hier(const struct mcg_run *run, int c, int d)
{
    return strcmp(run->hier[c].mount, run->hier[d].mount) == 0;
}

/* Which pending group COMMAND joins in each hierarchy (run->join), the
 * deepest where they nest: one decision per hierarchy, none where the
 * policy placed mcgexec itself. */
static int plan_joins(struct mcg_run *run, struct mcg_error *err)
{
    for (int c = 0; c < MCG_NCTRL; c++) {
        const struct group_ref *target = NULL;
        int skip = !run->hier[c].mount[0];

        run->join[c] = NULL;
        for (int d = 0; d < MCG_NCTRL && !skip; d++)
            skip = same_hier(run, c, d) && (d < c || run->hier[d].explicit_attach);
        for (size_t i = 0; i < run->pending.n && !skip; i++) {
            const struct group_ref *p = run->pending.items[i];
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
        if (target && !(mcg_cur_dir(&run->hier[c], cur, sizeof(cur)) == 0 &&
                        strcmp(cur, target->dir) == 0))   /* not there already */
            run->join[c] = target;
    }
    return 0;
}

static int join_pending_held(struct mcg_run *run, struct mcg_error *err)
{
    if (plan_joins(run, err) < 0)
        return -1;
    for (int c = 0; c < MCG_NCTRL; c++) {
        const struct group_ref *target = run->join[c];
        if (target && mcg_attach(run, target->ctrl, target->dir, run->pid, err) < 0)
            return -1;
        run->join[c] = NULL;
    }
    /* The leaf mcgexec hid in to enable controllers is empty now. */
    if (run->self_leaf && !run->dry_run) {
        char cur[PATH_MAX];
        struct mcg_hier *h = &run->hier[MCG_CPUACCT]; /* v2: every class, one hierarchy */
        if (mcg_cur_dir(h, cur, sizeof(cur)) == 0 &&
            !mcg_path_within(cur, run->self_leaf)) {
            mcg_log(run, "rmdir %s", run->self_leaf);
            if (rmdir(run->self_leaf) == 0)
                drop_refs_within(&run->created, run->self_leaf);
        }
    }
    return 0;
}

/* The job's groups where COMMAND joins them itself. */
static void note_planned_jobs(struct mcg_run *run)
{
    for (int c = 0; c < MCG_NCTRL; c++)
        for (int d = 0; d < MCG_NCTRL && run->hier[c].mount[0]; d++)
            if (run->join[d] && same_hier(run, c, d))
                set_path(&run->hier[c].job, rel_of(&run->hier[c], run->join[d]->dir));
}

int mcg_plan_child_joins(struct mcg_run *run, struct mcg_error *err)
{
    /* v2 with the leaf mcgexec hid in: the supervisor joins and leaves, as
     * the leaf can go only once mcgexec is out of it */
    if (run->self_leaf || run->dry_run)
        return mcg_join_pending(run, err);
    mcg_guard_hold();
    int r = plan_joins(run, err);
    mcg_guard_release();
    if (r < 0)
        return r;
    note_planned_jobs(run);
    for (int c = 0; c < MCG_NCTRL; c++)
        if (run->join[c])
            mcg_log(run, "attach %s (the command, once started)", run->join[c]->dir);
    return 0;
}

int mcg_join_planned(struct mcg_run *run, pid_t pid, struct mcg_error *err)
{
    for (int c = 0; c < MCG_NCTRL; c++)
        if (run->join[c] && write_pid(run, run->join[c]->ctrl, run->join[c]->dir, pid, err) < 0)
            return -1;
    return 0;
}

int mcg_join_pending(struct mcg_run *run, struct mcg_error *err)
{
    mcg_guard_hold();
    int r = join_pending_held(run, err);
    mcg_guard_release();
    return r;
}

/* ---- for the supervisor ------------------------------------------------ */

int mcg_job_dir(const struct mcg_run *run, enum mcg_ctrl c, char *dir, size_t len)
{
    const struct mcg_hier *h = &run->hier[c];
    const char *at = h->job[0] ? h->job : h->cur;

    if (!h->mount[0] || (!h->job[0] && strcmp(h->cur, h->orig) == 0))
        return -1;
    return join_path(dir, len, h->mount, at);
}

const char *mcg_group_name_of(const struct mcg_run *run, enum mcg_ctrl c, const char *dir)
{
    const struct mcg_hier *h = &run->hier[c];
    const char *rel = rel_of(h, dir);
    size_t bl = strlen(h->base);

    if (bl && strncmp(rel, h->base, bl) == 0 && (rel[bl] == '/' || rel[bl] == '\0'))
        rel += bl + (rel[bl] == '/');
    return *rel ? rel : "/";
}

int mcg_created_here(const struct mcg_run *run, const char *dir)
{
    for (size_t i = 0; i < run->created.n; i++)
        if (mcg_path_within(dir, ((struct group_ref *)run->created.items[i])->dir))
            return 1;
    return 0;
}

void mcg_leave(struct mcg_run *run)
{
    /* first note where the job is in every hierarchy: moving changes the
     * position of all controllers that share one (all of them on v2) */
    note_planned_jobs(run);
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->hier[c];
        if (h->mount[0] && strcmp(h->cur, h->orig) != 0)
            set_path(&h->job, h->cur);
    }
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->hier[c];
        char home[PATH_MAX], cur[PATH_MAX];
        if (!h->mount[0] || mcg_cur_dir(h, cur, sizeof(cur)) < 0)
            continue;
        /* v2 with a leaf: the start cgroup now serves children, the leaf is home */
        if (run->self_leaf && strcmp(h->mount, run->unified) == 0)
            snprintf(home, sizeof(home), "%s", run->self_leaf);
        else if (join_path(home, sizeof(home), h->mount, h->orig) < 0)
            continue;
        if (strcmp(home, cur) == 0)
            continue;
        char buf[32];
        snprintf(buf, sizeof(buf), "%d", (int)getpid());
        if (mcg_put_pid(run, home, buf) < 0)
            fprintf(stderr, "mcgexec: warning: cannot leave %s: %s\n", cur, strerror(errno));
        else
            set_cur(run, h, home);
    }
}

/* Signal the processes listed in dir/cgroup.procs and below; count them. */
static int signal_procs(const char *dir, int sig, pid_t self)
{
    char path[MCG_FILE_PATH], *procs = NULL;
    int n = 0;
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    if (read_file(path, &procs) == 0) {
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

int mcg_kill_tree(struct mcg_run *run, const char *dir, int sig)
{
    char path[MCG_FILE_PATH];
    int total = 0;

    if (run->dry_run)
        return 0;
    snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
    if (sig == SIGKILL && access(path, W_OK) == 0) {
        mcg_log(run, "write %s 1", path);
        if (mcg_write_file(path, "1") == 0)
            total = 1;
    }
    /* v1 (and the rest): a process may fork while we read, so repeat
     * until a reading finds nobody */
    for (int round = 0; round < 200; round++) {
        int n = signal_procs(dir, sig, getpid());
        total += n;
        if (n == 0 || sig != SIGKILL)
            break;
        nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
    }
    return total;
}

void mcg_remove_created(struct mcg_run *run)
{
    /* Most jobs leave their groups empty, and then removing them (deepest
     * first) is all there is to do; where that fails (EBUSY: a process
     * left behind, or groups of the job's own), kill, then remove. */
    mcg_guard_hold();
    for (size_t i = run->dry_run ? 0 : run->created.n; i-- > 0;) {
        struct group_ref *r = run->created.items[i];
        if (run->self_leaf && strcmp(r->dir, run->self_leaf) == 0)
            continue; /* mcgexec's own leaf */
        if (rmdir(r->dir) == 0 || errno == ENOENT) {
            mcg_log(run, "rmdir %s", r->dir);
            free(r->dir);
            free(r);
            list_remove(&run->created, i);
        }
    }
    mcg_guard_release();
    for (size_t i = 0; i < run->created.n; i++) {
        const char *dir = ((struct group_ref *)run->created.items[i])->dir;
        if (run->self_leaf && strcmp(dir, run->self_leaf) == 0)
            continue; /* mcgexec's own leaf */
        mcg_kill_tree(run, dir, SIGKILL);
    }
    mcg_rollback(run);
}
