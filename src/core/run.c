/* The run's records and the plainest operations on them: the lists of the
 * undo journal, the paths of each hierarchy, the dry run's pretend groups,
 * the log line every change prints, a dry run's check of permissions,
 * whole files read and written, putting a pid in a group.  (A group's
 * control files, by name: src/core/groupfile.c.) */
#define _GNU_SOURCE
#include "core/run.h"
#include "core/run-internal.h"
#include "base/xalloc.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


void mcg_list_push(struct mcg_list *l, void *item)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->items = realloc(l->items, l->cap * sizeof(*l->items));
        if (!l->items)
            abort();
    }
    l->items[l->n++] = item;
}

void mcg_list_remove(struct mcg_list *l, size_t i)
{
    memmove(&l->items[i], &l->items[i + 1], (l->n - i - 1) * sizeof(*l->items));
    l->n--;
}

void mcg_push_ref(struct mcg_refs *l, enum mcg_ctrl c, const char *dir)
{
    struct group_ref *r = malloc(sizeof(*r));
    if (!r)
        abort();
    r->ctrl = c;
    r->dir = xstrdup(dir);
    r->gone = 0;
    mcg_list_push(&l->any, r);
}

void mcg_free_refs(struct mcg_refs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i]->dir);
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
void mcg_drop_refs_within(struct mcg_refs *l, const char *dir)
{
    for (size_t i = l->n; i-- > 0;) {
        struct group_ref *r = l->items[i];
        if (mcg_path_within(r->dir, dir)) {
            free(r->dir);
            free(r);
            mcg_list_remove(&l->any, i);
        }
    }
}

/* A path of the run: "" (never freed) or an allocated string. */
static char no_path[1];

void mcg_set_path(char **field, const char *value)
{
    if (value == *field)
        return;
    if (*field && *field != no_path)
        free(*field);
    *field = value[0] ? xstrdup(value) : no_path;
}

void mcg_run_init(struct mcg_run *run, const struct mcg_run_opts *o)
{
    memset(run, 0, sizeof(*run));
    run->opt.dry_run = o->dry_run;
    run->opt.verbose = o->verbose;
    run->opt.supervised = o->supervised;
    run->opt.rm = o->rm;
    run->state.fd = run->state.lock = -1;
    run->opt.root = o->root;
    run->opt.manager_choice = o->manager;
    run->rootless = geteuid() != 0; /* (a setuid mcgexec refuses to start: main.c) */
    run->opt.slice = o->slice ? o->slice : run->rootless ? "app.slice" : "system.slice";
    run->opt.slice_given = o->slice != NULL;
    run->opt.scope_forced = o->scope;
    run->opt.stop_signal = o->stop_signal ? o->stop_signal : SIGTERM;
    run->opt.stop_grace = o->stop_grace;
    run->opt.command = o->command;
    run->pid = getpid();
    run->pos.v2_mount = no_path;
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->pos.hier[c];
        h->mount = h->mnt_root = h->base = h->orig = h->cur = h->job = no_path;
    }
}

void mcg_run_clear(struct mcg_run *run)
{
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->pos.hier[c];
        char **paths[] = { &h->mount, &h->mnt_root, &h->base, &h->orig, &h->cur, &h->job };
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
            mcg_set_path(paths[i], "");
    }
    mcg_set_path(&run->pos.v2_mount, "");
    free(run->pos.thread_domain);
    run->pos.thread_domain = NULL;
    mcg_commit(run);    /* frees created and moved */
    mcg_free_refs(&run->joins.pending);
    mcg_free_refs(&run->joins.attached);
    for (size_t i = 0; i < run->dry.pretend.n; i++)
        free(run->dry.pretend.items[i]);
    for (size_t i = 0; i < run->dry.refused.n; i++)
        free(run->dry.refused.items[i]);
    free(run->dry.offers);
    run->dry.offers = NULL;
    struct mcg_list *lists[] = { &run->journal.created.any, &run->journal.moved.any,
                                 &run->joins.pending.any, &run->joins.attached.any,
                                 &run->dry.pretend.any, &run->journal.enabled.any,
                                 &run->dry.refused.any, &run->journal.saved.any };
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        free(lists[l]->items);
        *lists[l] = (struct mcg_list){ 0 };
    }
}

void mcg_log(struct mcg_run *run, const char *fmt, ...)
{
    FILE *out = run->opt.dry_run ? stdout : run->opt.verbose ? stderr : NULL;
    va_list ap;

    if (!out)
        return;
    if (!run->opt.dry_run)
        fputs("mcgexec: ", out);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

/* ---- plan bookkeeping for dry runs ------------------------------------ */

int mcg_pretended(struct mcg_run *run, const char *dir)
{
    for (size_t i = 0; i < run->dry.pretend.n; i++)
        if (strcmp(run->dry.pretend.items[i], dir) == 0)
            return 1;
    return 0;
}

void mcg_unpretend(struct mcg_run *run, const char *dir)
{
    for (size_t i = run->dry.pretend.n; i-- > 0;)
        if (mcg_path_within(run->dry.pretend.items[i], dir)) {
            free(run->dry.pretend.items[i]);
            mcg_list_remove(&run->dry.pretend.any, i);
        }
}

int mcg_dir_exists(struct mcg_run *run, const char *dir)
{
    struct stat st;
    return (run->opt.dry_run && mcg_pretended(run, dir)) || (stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
}

/* ---- file access ------------------------------------------------------ */

int mcg_write_file(const char *path, const char *value)
{
    /* O_TRUNC as a shell's `>` has: the cgroup filesystem ignores it, and
     * a plain file (the unit tests' model of a group) holds the value
     * alone */
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
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

/* A dry run: would the step just printed, on `path`, be refused for lack
 * of permission (or a read-only mount)?  Said under it, once per place;
 * a path not there yet needs its nearest existing directory writable (a
 * group the caller makes is the caller's). */
void mcg_dry_check(struct mcg_run *run, const char *path)
{
    char p[MCG_FILE_PATH];
    int missing = 0;

    snprintf(p, sizeof(p), "%s", path);
    while (access(p, F_OK) != 0 && strrchr(p, '/') > p) {
        *strrchr(p, '/') = '\0';
        missing = 1;
    }
    if (access(p, W_OK) == 0)
        return;
    int e = errno;
    for (size_t i = 0; i < run->dry.refused.n; i++)
        if (strcmp(run->dry.refused.items[i], p) == 0)
            return;
    mcg_list_push(&run->dry.refused.any, xstrdup(p));
    printf("#   would be refused: %s%s: %s\n", missing ? "making groups in " : "", p, strerror(e));
}

int mcg_explain_rofs(const struct mcg_run *run, int r, struct mcg_error *err)
{
    size_t n = strlen(err->msg);

    if (err->errnum == EROFS)
        snprintf(err->msg + n, sizeof(err->msg) - n,
                 " (the cgroup filesystem%s%s is mounted read-only, as in an unprivileged "
                 "container or a Kubernetes pod: the container needs it read-write, as a "
                 "privileged one has it)", run->pos.v2_mount[0] ? " at " : "", run->pos.v2_mount);
    return r;
}

/* Move process `pid` (a decimal string) into dir: one line of the plan or
 * the verbose log, then one write of cgroup.procs.  -1 with errno. */
int mcg_put_pid(struct mcg_run *run, const char *dir, const char *pid)
{
    char path[MCG_FILE_PATH];

    mcg_log(run, "attach %s %s", dir, pid);
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    if (run->opt.dry_run) {
        mcg_dry_check(run, path);
        return 0;
    }
    return mcg_write_file(path, pid);
}

/* pid into dir/cgroup.procs, with the cpuset retry and the messages. */
int mcg_write_pid(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                  struct mcg_error *err)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%d", (int)pid);
    int r = mcg_put_pid(run, dir, buf);
    if (r < 0) {
        if (errno == EBUSY && run->pos.layout == MCG_LAYOUT_UNIFIED)
            return mcg_fail(err, "attach pid %s to %s: the group has controllers enabled "
                                 "for its children, and cgroup v2 puts processes only in "
                                 "groups without (the no-internal-processes rule)", buf, dir);
        if (errno == ENOSPC && c == MCG_CPUSET)
            return mcg_fail(err, "attach pid %s to %s: %s: the group's cpuset.cpus or "
                                 "cpuset.mems is empty (set cpus and mems)", buf, dir,
                            strerror(ENOSPC));
        return mcg_explain_rofs(run, mcg_fail_errno(err, errno, "attach pid %s to %s", buf, dir),
                                err);
    }
    return 0;
}

int mcg_read_file(const char *path, char **out)
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

/* Did this run create `dir` (or a group above it)? */
int mcg_created_here(const struct mcg_run *run, const char *dir)
{
    for (size_t i = 0; i < run->journal.created.n; i++)
        if (mcg_path_within(dir, ((struct group_ref *)run->journal.created.items[i])->dir))
            return 1;
    return 0;
}

/* ---- the journal's end: what the run made is the command's ---------- */

void mcg_free_saved(struct mcg_run *run)
{
    for (size_t i = 0; i < run->journal.saved.n; i++) {
        struct saved_file *s = run->journal.saved.items[i];
        free(s->file);
        free(s->value);
        free(s);
    }
    run->journal.saved.n = 0;
    free(run->journal.domain_group);
    run->journal.domain_group = NULL;
}

static void commit_held(struct mcg_run *run)
{
    mcg_state_end(run);
    mcg_free_refs(&run->journal.created);
    mcg_free_refs(&run->journal.enabled);
    mcg_free_saved(run);
    free(run->pos.self_leaf);
    run->pos.self_leaf = NULL;
    for (size_t i = 0; i < run->journal.moved.n; i++) {
        free(((struct moved *)run->journal.moved.items[i])->from);
        free(run->journal.moved.items[i]);
    }
    run->journal.moved.n = 0;
}

void mcg_commit(struct mcg_run *run)
{
    mcg_guard_hold();
    commit_held(run);
    mcg_guard_release();
}

int mcg_dry_run(const struct mcg_run *run)
{
    return run->opt.dry_run;
}

pid_t mcg_run_pid(const struct mcg_run *run)
{
    return run->pid;
}

int mcg_supervised(const struct mcg_run *run)
{
    return run->opt.supervised;
}

size_t mcg_refused_count(const struct mcg_run *run)
{
    return run->dry.refused.n;
}

enum mcg_layout mcg_layout_found(const struct mcg_run *run)
{
    return run->pos.layout;
}

int mcg_is_v2(const struct mcg_run *run)
{
    return run->pos.layout == MCG_LAYOUT_UNIFIED;
}
