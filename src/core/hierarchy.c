/* Where things are: the controllers' names, the hierarchies of this host
 * (found once a run from /proc/self/mountinfo, src/base/mounts.c), where
 * mcgexec is in each, where group names resolve (--root), and the paths of
 * groups.  Nothing here changes the system. */
#define _GNU_SOURCE
#include "core/run.h"
#include "core/run-internal.h"
#include "base/mounts.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The controllers: the v1 hierarchy's name, the v2 controller behind the
 * class (NULL for CPUACCT, which reads cpu.stat: every v2 group has it),
 * and the Ruby class under Cgroup.  The one list of their names. */
const struct mcg_controller mcg_controllers[MCG_NCTRL] = {
    [MCG_CPU] = { "cpu", "cpu", "CPU" },
    [MCG_CPUACCT] = { "cpuacct", NULL, "CPUACCT" },
    [MCG_CPUSET] = { "cpuset", "cpuset", "CPUSET" },
    [MCG_BLKIO] = { "blkio", "io", "BLKIO" },
    [MCG_MEMORY] = { "memory", "memory", "MEMORY" },
    [MCG_PIDS] = { "pids", "pids", "PIDS" },
};

const char *mcg_ctrl_name(enum mcg_ctrl c)
{
    return mcg_controllers[c].v1;
}

/* The v1 names as the parsers of src/base/mounts.c take them. */
static const char *const *v1_names(void)
{
    static const char *names[MCG_NCTRL];
    for (int c = 0; c < MCG_NCTRL; c++)
        names[c] = mcg_controllers[c].v1;
    return names;
}

const char *mcg_file_prefix(const struct mcg_run *run, enum mcg_ctrl c)
{
    if (run->pos.layout != MCG_LAYOUT_UNIFIED)
        return mcg_controllers[c].v1;
    return mcg_controllers[c].v2 ? mcg_controllers[c].v2 : "cpu";
}

const char *mcg_layout_name(const struct mcg_run *run)
{
    switch (run->pos.layout) {
    case MCG_LAYOUT_V1: return "v1";
    case MCG_LAYOUT_HYBRID: return "v1 (hybrid)";
    case MCG_LAYOUT_UNIFIED: return "v2 (unified)";
    default: return "none";
    }
}

/* Is `word` one of the blank-separated words of `text`? */
int mcg_has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; (p = strstr(p, word)); p += n)
        if ((p == text || p[-1] == ' ' || p[-1] == '\n') &&
            (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
            return 1;
    return 0;
}

/* Where `pid` is in each hierarchy (relative to its mount, "" = root), from
 * /proc/PID/cgroup: rels[c] for the v1 hierarchies, *v2rel for cgroup2,
 * allocated, NULL where the file has no line for it. */
static int read_proc_cgroup_all(const struct mcg_run *run, pid_t pid, char **rels, char **v2rel)
{
    char path[64], *text;
    const char *roots[MCG_NCTRL];

    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    if (mcg_read_file(path, &text) < 0)
        return -1;
    for (int i = 0; i < MCG_NCTRL; i++)
        roots[i] = run->pos.hier[i].mnt_root;
    mcg_parse_proc_cgroup(text, v1_names(), MCG_NCTRL, roots, rels,
                          run->pos.layout == MCG_LAYOUT_UNIFIED ? run->pos.hier[MCG_V2_HIER].mnt_root : NULL,
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
int mcg_read_proc_cgroup(const struct mcg_run *run, pid_t pid, enum mcg_ctrl c, char *out,
                         size_t len)
{
    char *rels[MCG_NCTRL], *v2rel;
    if (read_proc_cgroup_all(run, pid, rels, &v2rel) < 0)
        return -1;
    const char *rel = run->pos.layout == MCG_LAYOUT_UNIFIED ? v2rel : rels[c];
    int r = rel ? 0 : -1;
    if (rel)
        snprintf(out, len, "%s", rel);
    free_rels(rels, v2rel);
    return r;
}

/* Which hierarchies the host has, from one read of /proc/self/mountinfo:
 * v1 ones (hybrid when a cgroup2 is mounted beside them: v1 is used), or
 * cgroup2 alone with the controllers its root offers. */
static int find_hierarchies(struct mcg_run *run, struct mcg_error *err)
{
    struct mcg_mount v1[MCG_NCTRL], v2;
    int have1 = 0, ret = 0;
    char *mountinfo, *avail = NULL;

    if (mcg_read_file("/proc/self/mountinfo", &mountinfo) < 0)
        return mcg_fail_errno(err, errno, "cannot read the cgroup mounts: /proc/self/mountinfo");
    mcg_find_mounts(mountinfo, v1_names(), MCG_NCTRL, v1, &v2);
    free(mountinfo);
    for (int c = 0; c < MCG_NCTRL; c++)
        if (v1[c].path) {
            mcg_set_path(&run->pos.hier[c].mount, v1[c].path);
            mcg_set_path(&run->pos.hier[c].mnt_root, v1[c].root);
            have1 = 1;
        }
    if (have1) {
        run->pos.layout = v2.path ? MCG_LAYOUT_HYBRID : MCG_LAYOUT_V1;
    } else if (v2.path) {
        char path[PATH_MAX + 32];
        run->pos.layout = MCG_LAYOUT_UNIFIED;
        mcg_set_path(&run->pos.v2_mount, v2.path);
        /* only the host's root cgroup has no cgroup.type */
        snprintf(path, sizeof(path), "%s/cgroup.type", v2.path);
        run->pos.ns_root = access(path, F_OK) == 0;
        snprintf(path, sizeof(path), "%s/cgroup.controllers", v2.path);
        if (mcg_read_file(path, &avail) < 0) {
            ret = mcg_fail_errno(err, errno, "read %s", path);
        } else {
            for (int c = 0; c < MCG_NCTRL; c++)
                if (!mcg_controllers[c].v2 || mcg_has_word(avail, mcg_controllers[c].v2)) {
                    mcg_set_path(&run->pos.hier[c].mount, v2.path);
                    mcg_set_path(&run->pos.hier[c].mnt_root, v2.root);
                }
            free(avail);
        }
    }
    for (int c = 0; c < MCG_NCTRL; c++)
        mcg_mount_free(&v1[c]);
    mcg_mount_free(&v2);
    return ret;
}

/* Does `dir` carry systemd's mark of a delegated subtree (the
 * trusted.delegate or user.delegate attribute, systemd 251 and later)? */
int mcg_delegated(const char *dir)
{
    static const char *const names[] = { "trusted.delegate", "user.delegate" };
    char v[8];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ssize_t n = getxattr(dir, names[i], v, sizeof(v));
        if (n == 1 && v[0] == '1')
            return 1;
    }
    return 0;
}

/* Where mcgexec is in every hierarchy (one read of /proc/self/cgroup),
 * and where group names resolve: the root, --root, or (--root self) here.
 * (The systemd manager moves that below a delegated cgroup when the first
 * group is named: mcg_settle_below, for src/core/systemd.c.) */
static void find_position(struct mcg_run *run)
{
    char *rels[MCG_NCTRL] = { NULL }, *v2rel = NULL;

    read_proc_cgroup_all(run, run->pid, rels, &v2rel); /* unread: all at the root */
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->pos.hier[c];
        if (!h->mount[0])
            continue;
        const char *rel = run->pos.layout == MCG_LAYOUT_UNIFIED ? v2rel : rels[c];
        mcg_set_path(&h->orig, rel ? rel : "");
        mcg_set_path(&h->cur, h->orig);
        if (!run->opt.root)
            mcg_set_path(&h->base, "");
        else if (strcmp(run->opt.root, "self") == 0)
            mcg_set_path(&h->base, h->orig);
        else
            mcg_set_path(&h->base, run->opt.root[0] == '/' ? run->opt.root + 1 : run->opt.root);
        /* "/a/b/" -> "a/b" */
        size_t n = strlen(h->base);
        while (n > 0 && h->base[n - 1] == '/')
            h->base[--n] = '\0';
    }
    free_rels(rels, v2rel);
}

/* The hierarchies and where mcgexec is in them, whatever the policy then
 * asks for (once a run: src/core/manager.c's mcg_discover_and_choose). */
int mcg_discover(struct mcg_run *run, struct mcg_error *err)
{
    run->pos.discovered = 1;
    if (find_hierarchies(run, err) < 0)
        return -1;
    mcg_log(run, "%scgroup layout: %s", run->opt.dry_run ? "# " : "", mcg_layout_name(run));
    if (run->pos.ns_root)
        mcg_log(run, "%s%s is a cgroup namespace's root (a container's), not the host's",
                run->opt.dry_run ? "# " : "", run->pos.v2_mount);
    find_position(run);
    return 0;
}

int mcg_hier_get(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier **out,
                 struct mcg_error *err)
{
    if (!run->pos.hier[c].mount[0]) {
        if (run->pos.layout == MCG_LAYOUT_UNIFIED && run->pos.ns_root)
            mcg_fail(err, "controller '%s' is not available in this container (not in "
                          "%s/cgroup.controllers): its runtime did not delegate it to the "
                          "container's cgroup", mcg_controllers[c].v2, run->pos.v2_mount);
        else if (run->pos.layout == MCG_LAYOUT_UNIFIED)
            mcg_fail(err, "controller '%s' is not available on this host (not in %s/cgroup.controllers)",
                     mcg_controllers[c].v2, run->pos.v2_mount);
        else
            mcg_fail(err, "controller '%s' is not mounted on this host", mcg_controllers[c].v1);
        err->about_host = 1;
        return -1;
    }
    *out = &run->pos.hier[c];
    return 0;
}

/* mount + "/" + rel; -1 when it does not fit. */
int mcg_join_path(char *out, size_t len, const char *mount, const char *rel)
{
    int n = snprintf(out, len, "%s%s%s", mount, rel[0] ? "/" : "", rel);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The absolute directory mcgexec is in now, in hierarchy h. */
int mcg_cur_dir(const struct mcg_hier *h, char *out, size_t len)
{
    return mcg_join_path(out, len, h->mount, h->cur);
}

int mcg_group_path(const struct mcg_hier *h, const char *name, char *dir, size_t len,
                   struct mcg_error *err)
{
    char rel[PATH_MAX];

    while (*name == '/')
        name++;
    if (snprintf(rel, sizeof(rel), "%s%s%s", h->base, h->base[0] && name[0] ? "/" : "",
                 name) >= (int)sizeof(rel))
        return mcg_fail(err, "group name too long");
    if (mcg_join_path(dir, len, h->mount, rel) < 0)
        return mcg_fail(err, "group path too long: %s/%s", h->mount, rel);
    return 0;
}

/* ---- the run's position: where mcgexec is, where names resolve, where
 * the job is (the one place that writes them after discovery) ---------- */

void mcg_set_self_leaf(struct mcg_run *run, const char *leaf)
{
    free(run->pos.self_leaf);
    run->pos.self_leaf = xstrdup(leaf);
}

/* Is mcgexec's place in h its own (where it started, or the leaf it
 * stepped into to enable controllers), not a group of the job's? */
int mcg_at_own_place(const struct mcg_run *run, const struct mcg_hier *h)
{
    char cur[PATH_MAX];

    if (strcmp(h->cur, h->orig) == 0)
        return 1;
    return run->pos.self_leaf && mcg_cur_dir(h, cur, sizeof(cur)) == 0 &&
           mcg_path_within(cur, run->pos.self_leaf);
}

void mcg_settle_below(struct mcg_run *run, const char *rel, int moved)
{
    for (int c = 0; c < MCG_NCTRL; c++) {
        struct mcg_hier *h = &run->pos.hier[c];
        if (!h->mount[0])
            continue;
        if (moved) {
            mcg_set_path(&h->orig, rel);
            mcg_set_path(&h->cur, rel);
        }
        mcg_set_path(&h->base, rel);
    }
}

void mcg_note_job(struct mcg_run *run, enum mcg_ctrl c, const char *dir)
{
    struct mcg_hier *h = &run->pos.hier[c];
    mcg_set_path(&h->job, dir[0] == '/' ? mcg_rel_of(h, dir) : dir);
}

/* The hierarchy-relative part of an absolute group directory. */
const char *mcg_rel_of(const struct mcg_hier *h, const char *dir)
{
    const char *r = dir + strlen(h->mount);
    return *r == '/' ? r + 1 : r;
}

void mcg_set_cur(struct mcg_run *run, const struct mcg_hier *h, const char *dir)
{
    char rel[PATH_MAX];

    snprintf(rel, sizeof(rel), "%s", mcg_rel_of(h, dir));
    for (int c = 0; c < MCG_NCTRL; c++)
        if (strcmp(run->pos.hier[c].mount, h->mount) == 0)
            mcg_set_path(&run->pos.hier[c].cur, rel);
}

int mcg_job_dir(const struct mcg_run *run, enum mcg_ctrl c, char *dir, size_t len)
{
    const struct mcg_hier *h = &run->pos.hier[c];

    if (!h->mount[0])
        return -1;
    if (h->job[0])
        return mcg_join_path(dir, len, h->mount, h->job);
    /* the policy attached mcgexec itself: its group is the job's */
    if (mcg_at_own_place(run, h))
        return -1;
    return mcg_join_path(dir, len, h->mount, h->cur);
}

const char *mcg_group_name_of(const struct mcg_run *run, enum mcg_ctrl c, const char *dir)
{
    const struct mcg_hier *h = &run->pos.hier[c];
    const char *rel = mcg_rel_of(h, dir);
    size_t bl = strlen(h->base);

    if (bl && strncmp(rel, h->base, bl) == 0 && (rel[bl] == '/' || rel[bl] == '\0'))
        rel += bl + (rel[bl] == '/');
    return *rel ? rel : "/";
}
