/* The cgroupfs manager (src/core/cgroup-manager.h): mcgexec writes the cgroup
 * filesystem itself.  Creating groups level by level (v1 cpuset groups get
 * their parent's cpus and mems; v2 parents get the controller in
 * cgroup.subtree_control, and mcgexec steps into a leaf of its own where
 * its cgroup must give up its processes for that), moving processes in
 * with the messages the kernel's refusals deserve, and deleting groups.
 *
 * Plain open/write, not libcgroup: 2.0.2 rescans /proc/mounts on every
 * write, reports write errors as ECGOTHER without the errno, reads every
 * file of a group in cgroup_get_cgroup, and attaches one thread (tasks)
 * instead of the process (cgroup.procs). */
#define _GNU_SOURCE
#include "core/run.h"
#include "core/run-internal.h"
#include "core/cgroup-manager.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- creating --------------------------------------------------------- */

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
            if (run->opt.dry_run && mcg_pretended(run, up))
                continue;
            char path[MCG_FILE_PATH];
            snprintf(path, sizeof(path), "%s/%s", up, files[i]);
            if (mcg_read_file(path, &val) < 0)
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

/* A new v1 cpuset group takes no process until its cpus and mems are set,
 * and another run may find it at once (a shared group name): it is made
 * under a name of this run's, `.mcgexec-new.PID.NAME` beside it, given
 * its parent's cpus and mems, and only then renamed (v1 cgroups can be
 * renamed within their parent).  So no run ever sees the group not ready,
 * however slow the maker: nothing waits, nothing is timed.  Where another
 * run published it first (the rename finds the name taken), this run's
 * copy goes, and the group is theirs.  *made: 1 where this run's copy
 * became the group. */
static int make_cpuset_ready(struct mcg_run *run, const struct mcg_hier *h, const char *path,
                             int *made, struct mcg_error *err)
{
    char tmp[PATH_MAX];
    const char *base = strrchr(path, '/') + 1;

    *made = 0;
    if (snprintf(tmp, sizeof(tmp), "%.*s.mcgexec-new.%d.%s", (int)(base - path), path,
                 (int)getpid(), base) >= (int)sizeof(tmp))
        return mcg_fail(err, "path too long: %s", path);
    mcg_log(run, "mkdir %s", tmp);
    mcg_state_intent(run, tmp);
    if (mkdir(tmp, 0755) < 0)
        return mcg_explain_rofs(run, mcg_fail_errno(err, errno, "mkdir %s", tmp), err);
    mcg_state_made(run, tmp);
    if (cpuset_inherit(run, h, tmp, err) < 0) {
        rmdir(tmp);
        return -1;
    }
    mcg_log(run, "rename %s %s", tmp, path);
    if (rename(tmp, path) == 0) {
        mcg_state_made(run, path);
        *made = 1;
        return 0;
    }
    int e = errno;
    mcg_log(run, "rmdir %s", tmp);
    rmdir(tmp);
    /* (EEXIST, ENOTEMPTY: published by another run meanwhile) */
    if (e == EEXIST || e == ENOTEMPTY)
        return 0;
    return mcg_fail_errno(err, e, "rename %s to %s", tmp, path);
}

static int make_dir(struct mcg_run *run, enum mcg_ctrl c, const char *path, int *made,
                    struct mcg_error *err)
{
    *made = 0;
    if (mcg_dir_exists(run, path))
        return 0;
    if (!run->opt.dry_run && c == MCG_CPUSET && run->pos.layout != MCG_LAYOUT_UNIFIED) {
        struct mcg_hier *h = NULL;
        if (mcg_hier_get(run, c, &h, err) < 0 || make_cpuset_ready(run, h, path, made, err) < 0)
            return -1;
        if (!*made)
            return 0;
    } else {
        mcg_log(run, "mkdir %s", path);
        if (run->opt.dry_run) {
            mcg_dry_check(run, path);
            mcg_list_push(&run->dry.pretend.any, xstrdup(path));
        } else {
            mcg_state_intent(run, path);
            if (mkdir(path, 0755) < 0) {
                /* EEXIST: another run (or an earlier part of this policy) made it */
                return errno == EEXIST ? 0
                                       : mcg_explain_rofs(
                                             run, mcg_fail_errno(err, errno, "mkdir %s", path), err);
            }
            mcg_state_made(run, path);
        }
    }
    mcg_push_ref(&run->journal.created, c, path);
    *made = 1;
    return 0;
}

static int attach_pid(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h, const char *dir,
                      pid_t pid, struct mcg_error *err);

/* The error for controller `name`, which `dir` does not offer (its
 * cgroup.controllers reads `offered`).  Not root, the one who decides is
 * the administrator, through user@.service's Delegate=. */
static int not_offered(const struct mcg_run *run, const char *name, const char *dir,
                       char *offered, struct mcg_error *err)
{
    offered[strcspn(offered, "\n")] = '\0';
    if (run->rootless)
        mcg_fail(err, "controller '%s' is not delegated to uid %d (%s/cgroup.controllers has: "
                      "%s): an administrator delegates it with a drop-in, "
                      "/etc/systemd/system/user@.service.d/delegate.conf: [Service] "
                      "Delegate=cpu cpuset io memory pids, then systemctl daemon-reload and "
                      "a new login (or systemctl restart user@%d.service)",
                 name, (int)geteuid(), dir, offered[0] ? offered : "none", (int)geteuid());
    else
        mcg_fail(err, "controller '%s' is not available in %s (enable it in the parent's "
                      "cgroup.subtree_control)", name, dir);
    err->about_host = 1;
    return -1;
}

/* Does `dir` offer controller `name` (its cgroup.controllers)?  0, -1
 * with the error that says who can change that, -2 where unreadable. */
static int offered_in(struct mcg_run *run, const char *name, const char *dir,
                      struct mcg_error *err)
{
    char *text = NULL;

    if (mcg_read(run, dir, "cgroup.controllers", &text, err) < 0)
        return -2;
    int r = mcg_has_word(text, name) ? 0 : not_offered(run, name, dir, text, err);
    free(text);
    return r;
}

/* Is controller c on in parent's cgroup.subtree_control (1), off but
 * available (0), or not offered there at all (-1, with the error)?  A dry
 * run's planned group has everything off; a planned scope of the user
 * manager's can have what the user manager was delegated. */
static int controller_state(struct mcg_run *run, enum mcg_ctrl c, const char *parent,
                            struct mcg_error *err)
{
    const char *name = mcg_controllers[c].v2;
    char *text = NULL;

    if (run->opt.dry_run && access(parent, F_OK) != 0)
        return run->dry.offers ? offered_in(run, name, run->dry.offers, err) : 0;
    if (mcg_read(run, parent, "cgroup.subtree_control", &text, err) < 0)
        return -2;
    int on = mcg_has_word(text, name);
    free(text);
    return on ? 1 : offered_in(run, name, parent, err);
}

/* `pid` went into mcgexec's leaf with it: an undo takes it back after the
 * controllers are off again, as mcgexec itself (src/core/undo.c). */
static void mark_with_self(struct mcg_run *run, pid_t pid)
{
    for (size_t i = 0; i < run->journal.moved.n; i++) {
        struct moved *m = run->journal.moved.items[i];
        if (m->pid == pid)
            m->with_self = 1;
    }
}

/* Rounds of reading a group's processes and moving them, for processes
 * forked meanwhile (each round moves what it read, so only a caller that
 * keeps forking outruns them): no pause between rounds, nothing timed;
 * past them, an error that says so, and the undo walk moves back what
 * moved. */
#define MOVE_ROUNDS 50

/* Move every process of `parent` into `leaf` (the cgroup mcgexec and its
 * caller share): until a reading finds none, as the caller may fork. */
static int move_all(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h,
                    const char *parent, const char *leaf, struct mcg_error *err)
{
    for (int round = 0; round < MOVE_ROUNDS; round++) {
        char *procs = NULL;
        int moved = 0;
        if (mcg_read(run, parent, "cgroup.procs", &procs, err) < 0)
            return -1;
        for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok;
             tok = strtok_r(NULL, "\n", &save)) {
            pid_t pid = (pid_t)atoi(tok);
            if (pid > 0 && attach_pid(run, c, h, leaf, pid, err) < 0 && err->errnum != ESRCH) {
                free(procs);
                return -1;
            }
            mark_with_self(run, pid);
            moved = 1;
        }
        free(procs);
        if (!moved)
            return 0;
    }
    return mcg_fail(err, "processes keep arriving in %s", parent);
}

/* The error when processes keep a controller from being enabled. */
static int busy(enum mcg_ctrl c, const char *parent, struct mcg_error *err)
{
    return mcg_fail(err, "cannot enable controller '%s' in %s: it has processes of its own, "
                         "and cgroup v2 lets only a group without processes enable controllers "
                         "for its children (the no-internal-processes rule)",
                    mcg_controllers[c].v2, parent);
}

/* cgroup v2 lets a group hand controllers to its children only while no
 * process is in it (the no-internal-processes rule; for the threaded
 * controllers, pids and cpu, the kernel takes the write but then refuses
 * processes in the children).  So before enabling, `parent` is emptied
 * where that is mcgexec's to do: mcgexec alone in its own cgroup (--root
 * self) steps into a leaf of its own, mcgexec.PID; in a cgroup systemd
 * delegated (a unit with Delegate=yes), where a shell that runs mcgexec
 * shares it, every process moves into that leaf, as container runtimes'
 * init does.  Elsewhere processes in `parent` are an error. */
/* A container's cgroup namespace root (no systemd inside) is the
 * container's to give, so mcgexec treats it as delegated: its processes
 * (the container's shell, a CI runner's helper, mcgexec) move into the
 * leaf `init`, as moby's dind entrypoint does, and stay there.  A rollback
 * takes back the controllers but not the move, which is not journalled:
 * the processes in `init` are as well off there, and the root must stay
 * empty for the next run's children. */
static int empty_ns_root(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h,
                         const char *root, struct mcg_error *err)
{
    char leaf[PATH_MAX], *procs = NULL;
    const char *dry = run->opt.dry_run ? "# " : "";

    if (snprintf(leaf, sizeof(leaf), "%s/init", root) >= (int)sizeof(leaf))
        return mcg_fail(err, "path too long: %s", root);
    for (int round = 0; round < MOVE_ROUNDS; round++) {
        if (mcg_read(run, root, "cgroup.procs", &procs, err) < 0)
            return -1;
        int any = procs[0] != '\0';
        if (any && round == 0) {
            mcg_log(run, "%s%s is a cgroup namespace's root with processes: they move to %s",
                    dry, root, leaf);
            if (!mcg_dir_exists(run, leaf)) {
                mcg_log(run, "mkdir %s", leaf);
                if (run->opt.dry_run)
                    mcg_list_push(&run->dry.pretend.any, xstrdup(leaf));
                else if (mkdir(leaf, 0755) < 0 && errno != EEXIST) {
                    free(procs);
                    return mcg_explain_rofs(run, mcg_fail_errno(err, errno, "mkdir %s", leaf), err);
                }
            }
        }
        for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok;
             tok = strtok_r(NULL, "\n", &save))
            if (mcg_write_pid(run, c, leaf, (pid_t)atoi(tok), err) < 0 && err->errnum != ESRCH) {
                free(procs);
                return -1;
            }
        free(procs);
        if (!any || run->opt.dry_run) {
            if (round > 0 || any) {
                mcg_set_self_leaf(run, leaf);
                mcg_set_cur(run, h, leaf);
            }
            return 0;
        }
    }
    return mcg_fail(err, "processes keep arriving in %s", root);
}

static int empty_for_children(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h,
                              const char *parent, struct mcg_error *err)
{
    char *procs = NULL, cur[PATH_MAX], leaf[PATH_MAX];
    int made, others = 0, any = 0;
    int top = strcmp(parent, h->mount) == 0;

    /* the host's root is exempt from the rule; a cgroup namespace's is not;
     * a threaded domain keeps its processes (src/core/groupfile.c) */
    if (run->pos.self_leaf || (top && !run->pos.ns_root) ||
        (run->pos.thread_domain && mcg_path_within(parent, run->pos.thread_domain)))
        return 0;
    if (top)
        return empty_ns_root(run, c, h, parent, err);
    if (run->opt.dry_run)
        return 0;
    if (mcg_read(run, parent, "cgroup.procs", &procs, err) < 0)
        return -1;
    for (char *save = NULL, *tok = strtok_r(procs, "\n", &save); tok;
         tok = strtok_r(NULL, "\n", &save)) {
        any = 1;
        others |= atoi(tok) != run->pid;
    }
    free(procs);
    if (!any)
        return 0;
    int here = mcg_cur_dir(h, cur, sizeof(cur)) == 0 && strcmp(cur, parent) == 0;
    if (!here || (others && !mcg_delegated(parent)))
        return busy(c, parent, err);
    if (snprintf(leaf, sizeof(leaf), "%s/mcgexec.%d", parent, (int)run->pid) >=
        (int)sizeof(leaf))
        return mcg_fail(err, "path too long: %s", parent);
    if (make_dir(run, c, leaf, &made, err) < 0)
        return -1;
    mcg_set_self_leaf(run, leaf);
    if (!others)
        return attach_pid(run, c, h, leaf, run->pid, err);
    mcg_log(run, "%s is delegated and shared: its processes move to %s", parent, leaf);
    return move_all(run, c, h, parent, leaf, err);
}

/* cgroup v2: a controller works in a group only when its parent lists it
 * in cgroup.subtree_control.  Add it to `parent` if missing, emptying
 * `parent` first where that is mcgexec's to do. */
static int enable_in(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h,
                     const char *parent, struct mcg_error *err)
{
    const char *name = mcg_controllers[c].v2;
    char plus[32];

    for (size_t i = 0; i < run->journal.enabled.n; i++) {
        struct group_ref *r = run->journal.enabled.items[i];
        if (strcmp(r->dir, parent) == 0 && mcg_controllers[r->ctrl].v2 == name)
            return 0;
    }
    int state = controller_state(run, c, parent, err);
    if (state != 0)
        return state > 0 ? 0 : -1;
    if (empty_for_children(run, c, h, parent, err) < 0)
        return -1;
    snprintf(plus, sizeof(plus), "+%s", name);
    /* (said before it is done: a kill in between leaves it named) */
    mcg_state_enabled(run, name, parent);
    if (mcg_write(run, parent, "cgroup.subtree_control", plus, err) < 0) {
        if (err->errnum == EBUSY) /* a process came in meanwhile */
            return busy(c, parent, err);
        return -1;
    }
    mcg_push_ref(&run->journal.enabled, c, parent);
    return 0;
}

/* Below a threaded domain (src/core/groupfile.c), a new group is threaded: the
 * kernel makes a child of a threaded group "domain invalid" until told. */
static int make_threaded(struct mcg_run *run, const char *dir, struct mcg_error *err)
{
    if (!run->pos.thread_domain || strcmp(dir, run->pos.thread_domain) == 0 ||
        !mcg_path_within(dir, run->pos.thread_domain))
        return 0;
    return mcg_write(run, dir, "cgroup.type", "threaded", err);
}

/* enable_in, but below a threaded domain a domain controller (memory, io)
 * is not enabled: the domain's own files serve every group below it, so
 * it need only have them. */
static int enable_here(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h,
                       const char *parent, struct mcg_error *err)
{
    const char *name = mcg_controllers[c].v2;

    if (!run->pos.thread_domain || !mcg_path_within(parent, run->pos.thread_domain) ||
        mcg_v2_threaded(name))
        return enable_in(run, c, h, parent, err);
    return offered_in(run, name, run->pos.thread_domain, err) < 0 ? -1 : 0;
}

int mcg_cgroupfs_create(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
                        struct mcg_error *err)
{
    struct mcg_hier *h = NULL;
    char path[PATH_MAX], base[PATH_MAX];
    int unified = run->pos.layout == MCG_LAYOUT_UNIFIED;

    if (mcg_hier_get(run, c, &h, err) < 0)
        return -1;
    *created = 0;
    /* v1: a group that exists needs nothing (v2 still enables its
     * controllers level by level) */
    if (!unified && mcg_dir_exists(run, dir))
        return 0;
    snprintf(path, sizeof(path), "%s", dir);
    if (mcg_join_path(base, sizeof(base), h->mount, h->base) < 0)
        return mcg_fail(err, "root path too long");
    /* mkdir -p below the mount point, one level at a time */
    for (char *p = path + strlen(h->mount) + 1; p <= path + strlen(dir); p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        int made;
        *p = '\0';
        if (unified && mcg_controllers[c].v2) {
            /* enable the controller in the parent, at or below the root
             * mcgexec works in: the levels above are not ours to change */
            char parent[PATH_MAX];
            snprintf(parent, sizeof(parent), "%s", path);
            *strrchr(parent, '/') = '\0';
            if (mcg_path_within(parent, base) && enable_here(run, c, h, parent, err) < 0)
                return -1;
        }
        if (make_dir(run, c, path, &made, err) < 0)
            return -1;
        if (made && make_threaded(run, path, err) < 0)
            return -1;
        if (made && saved == '\0')
            *created = 1;
        /* (made ready before it had its name: make_cpuset_ready; a dry
         * run plans the copy) */
        if (made && run->opt.dry_run && !unified && c == MCG_CPUSET &&
            cpuset_inherit(run, h, path, err) < 0)
            return -1;
        *p = saved;
    }
    return 0;
}


/* Record where `pid` is now in this hierarchy, so a rollback can put it back. */
static void remember_origin(struct mcg_run *run, enum mcg_ctrl c, const struct mcg_hier *h,
                            pid_t pid)
{
    char rel[PATH_MAX], abs[PATH_MAX];

    for (size_t i = 0; i < run->journal.moved.n; i++) {
        struct moved *m = run->journal.moved.items[i];
        if (m->pid == pid && strcmp(run->pos.hier[m->ctrl].mount, h->mount) == 0)
            return;
    }
    if (pid == run->pid)
        snprintf(rel, sizeof(rel), "%s", h->cur);
    else if (mcg_read_proc_cgroup(run, pid, c, rel, sizeof(rel)) < 0)
        return;
    if (mcg_join_path(abs, sizeof(abs), h->mount, rel) < 0)
        return;
    struct moved *m = malloc(sizeof(*m));
    if (!m)
        abort();
    m->ctrl = c;
    m->pid = pid;
    m->from = xstrdup(abs);
    m->with_self = 0;
    mcg_list_push(&run->journal.moved.any, m);
}

/* ---- attaching and deleting ------------------------------------------- */

static int attach_pid(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier *h, const char *dir,
                      pid_t pid, struct mcg_error *err)
{
    /* the write says whether the group exists; a dry run must look */
    if (run->opt.dry_run && !mcg_dir_exists(run, dir))
        return mcg_fail(err, "attach: group %s does not exist (call create first)", dir);
    if (!run->opt.dry_run)
        remember_origin(run, c, h, pid);
    if (mcg_write_pid(run, c, dir, pid, err) < 0) {
        if (err->errnum == ENOENT && !mcg_dir_exists(run, dir))
            return mcg_fail(err, "attach: group %s does not exist (call create first)", dir);
        return -1;
    }
    if (pid == run->pid)
        mcg_set_cur(run, h, dir);
    return 0;
}

int mcg_cgroupfs_attach(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                        struct mcg_error *err)
{
    struct mcg_hier *h = NULL;

    if (mcg_hier_get(run, c, &h, err) < 0)
        return -1;
    return attach_pid(run, c, h, dir, pid, err);
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

int mcg_cgroupfs_delete(struct mcg_run *run, enum mcg_ctrl c, const char *dir,
                         struct mcg_error *err)
{
    struct mcg_hier *h = NULL;
    char parent[PATH_MAX], *procs = NULL;

    if (mcg_hier_get(run, c, &h, err) < 0)
        return -1;
    if (strlen(dir) <= strlen(h->mount))
        return mcg_fail(err, "delete: refusing to remove the root of the %s hierarchy",
                        mcg_controllers[c].v1);
    snprintf(parent, sizeof(parent), "%s", dir);
    *strrchr(parent, '/') = '\0';
    /* Gone already (on v2 every class names the same directory): done. */
    if (!mcg_dir_exists(run, dir))
        return 0;

    if (!run->opt.dry_run) {
        /* v1 semantics of libcgroup's delete: the processes move up. */
        if (mcg_read_members(dir, &procs, err) < 0)
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
        mcg_set_cur(run, h, parent);
    mcg_log(run, "rmdir %s", dir);
    if (run->opt.dry_run) {
        mcg_unpretend(run, dir);
    } else if (rmdir(dir) < 0) {
        int e = errno;
        if (e == EBUSY && has_subdir(dir))
            return mcg_fail(err, "delete %s: %s: it has child groups (delete those first)",
                            dir, strerror(e));
        return mcg_fail_errno(err, e, "delete %s", dir);
    }
    mcg_drop_refs_within(&run->journal.created, dir);
    mcg_drop_refs_within(&run->joins.pending, dir);
    mcg_drop_refs_within(&run->joins.attached, dir);
    return 0;
}

/* The leaf mcgexec stepped into to enable controllers (v2's
 * no-internal-processes rule) is empty once mcgexec joined its groups:
 * removed, and forgotten by the journal.  Failing is harmless (the undo
 * walk or --rm tries again). */
void mcg_cgroupfs_drop_leaf(struct mcg_run *run)
{
    char cur[PATH_MAX];
    struct mcg_hier *h = &run->pos.hier[MCG_V2_HIER];

    if (!run->pos.self_leaf || run->opt.dry_run || mcg_cur_dir(h, cur, sizeof(cur)) < 0 ||
        mcg_path_within(cur, run->pos.self_leaf))
        return;
    mcg_log(run, "rmdir %s", run->pos.self_leaf);
    if (rmdir(run->pos.self_leaf) == 0)
        mcg_drop_refs_within(&run->journal.created, run->pos.self_leaf);
}

const struct mcg_manager mcg_cgroupfs_manager = {
    .name = "cgroupfs",
    .create = mcg_cgroupfs_create,
    .attach = mcg_cgroupfs_attach,
    .delete = mcg_cgroupfs_delete,
    .drop_leaf = mcg_cgroupfs_drop_leaf,
};
