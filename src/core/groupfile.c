/* A group's control files: reading and writing them by name, logged (a
 * dry run only logs), with the messages the kernel's refusals deserve;
 * the processes a group lists; and where each file is, which is not
 * always the group's own directory:
 *
 * Groups as a threaded subtree below mcgexec's own cgroup (cgroup v2),
 * where mcgexec runs deep inside a subtree systemd delegated to another
 * program (src/core/systemd.c: Slurm's task_K, an outer run's job group).
 *
 * Why threaded: that program signals the processes it finds in the cgroup
 * it put mcgexec in (Slurm up to 24.11 reads task_K/cgroup.procs, and
 * sends even SIGKILL to those alone).  Ordinary (domain) child groups
 * would take the job out of that list, and the no-internal-processes rule
 * would take mcgexec out too, into a leaf: scancel would reach nothing.
 * Below a cgroup whose children are threaded, that cgroup stays the
 * processes' "threaded domain": its cgroup.procs lists every process of
 * the subtree, it may keep processes of its own (the supervisor stays),
 * and the threaded controllers (cpu, cpuset, pids) work in the children.
 * The kernel's documentation, Documentation/admin-guide/cgroup-v2.rst,
 * "Threads".
 *
 * The domain controllers (memory, io) cannot be enabled in a threaded
 * subtree: the threaded domain accounts for the whole subtree.  So a
 * group's memory and io settings are the domain's, mcgexec's own cgroup:
 * they are written there, for one group of the policy, only where the
 * file holds the kernel's default or the value lowers a ceiling (nobody
 * else's limit is lifted: an outer run's memory.max on the job's group),
 * and the value before goes back when the run's journal is undone.
 * Reading a group's memory and io files (the report, the OOM line) reads
 * the domain's, which counts the whole subtree. */
#define _GNU_SOURCE
#include "core/run.h"
#include "core/run-internal.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mcg_v2_threaded(const char *controller)
{
    static const char *const threaded[] = { "cpu", "cpuset", "pids", "perf_event" };

    for (size_t i = 0; i < sizeof(threaded) / sizeof(threaded[0]); i++)
        if (strcmp(controller, threaded[i]) == 0)
            return 1;
    return 0;
}

int mcg_owner_signals(const struct mcg_run *run)
{
    return run->pos.thread_domain != NULL;
}

void mcg_thread_below(struct mcg_run *run, const char *own)
{
    free(run->pos.thread_domain);
    run->pos.thread_domain = xstrdup(own);
}

/* The controller a control file belongs to ("memory.max": memory). */
static int file_is_domain(const char *file)
{
    char name[32];
    size_t n = strcspn(file, ".");

    if (n == 0 || n >= sizeof(name) || file[n] != '.')
        return 0;
    memcpy(name, file, n);
    name[n] = '\0';
    return strcmp(name, "cgroup") != 0 && !mcg_v2_threaded(name);
}

const char *mcg_file_dir(const struct mcg_run *run, const char *dir, const char *file)
{
    const char *top = run->pos.thread_domain;

    if (!top || strcmp(dir, top) == 0 || !mcg_path_within(dir, top) || !file_is_domain(file))
        return dir;
    return top;
}

/* A group's name below the threaded domain (its dir below `top`). */
static const char *name_below(const char *top, const char *dir)
{
    size_t n = strlen(top);
    return strncmp(dir, top, n) == 0 && dir[n] == '/' ? dir + n + 1 : dir;
}

/* A ceiling of memory: "max" for none, or bytes. */
static int is_ceiling(const char *file)
{
    static const char *const ceilings[] = { "memory.max", "memory.high", "memory.swap.max",
                                            "memory.zswap.max" };

    for (size_t i = 0; i < sizeof(ceilings) / sizeof(ceilings[0]); i++)
        if (strcmp(file, ceilings[i]) == 0)
            return 1;
    return 0;
}

/* The kernel's default of a domain controller's file: a ceiling's "max";
 * elsewhere no protection, no event grouping, no throttle (memory.low
 * "0", memory.oom.group "0", io.max "", io.weight "default 100").  (A
 * ceiling of "0" is a limit, not the default.) */
static int holds_default(const char *file, const char *value)
{
    if (is_ceiling(file))
        return strcmp(value, "max") == 0;
    return strcmp(value, "0") == 0 || value[0] == '\0' || strcmp(value, "default 100") == 0;
}

/* A ceiling lowered, never raised: `value` at or below `old` ("max" above
 * every number). */
static int lowers(const char *file, const char *value, const char *old)
{
    char *end;

    if (!is_ceiling(file) || strcmp(value, "max") == 0)
        return 0;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno || *end || end == value)
        return 0;
    if (strcmp(old, "max") == 0)
        return 1;
    unsigned long long o = strtoull(old, &end, 10);
    return !*end && v <= o;
}

int mcg_claim_domain_file(struct mcg_run *run, const char *group, const char *file,
                          const char *value, struct mcg_error *err)
{
    const char *top = run->pos.thread_domain;
    char path[MCG_FILE_PATH], *old = NULL;

    if (run->journal.domain_group && strcmp(run->journal.domain_group, group) != 0)
        return mcg_fail(err, "%s of group %s: below %s the groups are threaded (so that the "
                             "program that owns it still signals the job), and memory and io "
                             "limits are that cgroup's, for one group: group %s has them", file,
                        name_below(top, group), top,
                        name_below(top, run->journal.domain_group));
    for (size_t i = 0; i < run->journal.saved.n; i++)
        if (strcmp(((struct saved_file *)run->journal.saved.items[i])->file, file) == 0)
            return 0; /* saved, and ours, already */
    snprintf(path, sizeof(path), "%s/%s", top, file);
    if (mcg_read_file(path, &old) < 0) {
        if (errno == ENOENT)
            return mcg_fail(err, "%s of group %s: below %s the groups are threaded (so that "
                                 "the program that owns it still signals the job), and their "
                                 "memory and io limits are that cgroup's, which has no %s "
                                 "(its parent did not enable the controller)",
                            file, name_below(top, group), top, file);
        return mcg_fail_errno(err, errno, "read %s", path);
    }
    if (!holds_default(file, old) && !lowers(file, value, old)) {
        mcg_fail(err, "%s of group %s: below %s the groups are threaded (so that the program "
                      "that owns it still signals the job), and their memory and io limits "
                      "are that cgroup's, whose %s is %s already, set by the program that "
                      "owns it, which mcgexec lowers but never lifts: ask that program for "
                      "the limit (as srun --mem does)",
                 file, name_below(top, group), top, file, old);
        free(old);
        return -1;
    }
    struct saved_file *s = malloc(sizeof(*s));
    if (!s)
        abort();
    s->file = xstrdup(file);
    s->value = old;
    mcg_list_push(&run->journal.saved.any, s);
    if (!run->journal.domain_group)
        run->journal.domain_group = xstrdup(group);
    return 0;
}

/* ---- reading and writing ---------------------------------------------- */

/* A cpuset the kernel refused names CPUs or memory nodes that are not
 * there: say which are, on the host and in the parent group (which a
 * child's set must stay within). */
static void say_cpuset_offer(struct mcg_run *run, const char *dir, const char *file,
                             struct mcg_error *err)
{
    int cpus = strcmp(file, "cpuset.cpus") == 0;
    char path[MCG_FILE_PATH], *host = NULL, *parent = NULL;
    size_t n = strlen(err->msg);

    if (!cpus && strcmp(file, "cpuset.mems") != 0)
        return;
    if (mcg_read_file(cpus ? "/sys/devices/system/cpu/online" : "/sys/devices/system/node/online",
                      &host) < 0)
        host = NULL;
    int w = snprintf(path, sizeof(path), "%s", dir);
    while (w > 0 && path[w - 1] != '/')
        w--;
    if (w > 1) {
        const char *eff = run->pos.layout == MCG_LAYOUT_UNIFIED
                              ? (cpus ? "cpuset.cpus.effective" : "cpuset.mems.effective")
                              : (cpus ? "cpuset.effective_cpus" : "cpuset.effective_mems");
        snprintf(path + w, sizeof(path) - (size_t)w, "%s", eff);
        if (mcg_read_file(path, &parent) < 0)
            parent = NULL;
    }
    snprintf(err->msg + n, sizeof(err->msg) - n, " (this host has %s %s%s%s)",
             cpus ? "CPUs" : "memory nodes", host ? host : "unknown",
             parent ? "; the parent group offers " : "", parent ? parent : "");
    free(host);
    free(parent);
}

int mcg_write(struct mcg_run *run, const char *dir, const char *file, const char *value,
              struct mcg_error *err)
{
    char path[MCG_FILE_PATH];
    const char *at = mcg_file_dir(run, dir, file);

    /* (a threaded group's memory and io files are its domain's: above) */
    if (at != dir && mcg_claim_domain_file(run, dir, file, value, err) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", at, file);
    mcg_log(run, "write %s %s", path, value);
    if (run->opt.dry_run) {
        mcg_dry_check(run, path);
        return 0;
    }
    if (mcg_write_file(path, value) < 0) {
        int e = errno;
        mcg_fail_errno(err, e, "write %s", path);
        if (e == EINVAL || e == ERANGE)
            say_cpuset_offer(run, dir, file, err);
        return mcg_explain_rofs(run, -1, err);
    }
    return 0;
}

int mcg_read(struct mcg_run *run, const char *dir, const char *file, char **out,
             struct mcg_error *err)
{
    char path[MCG_FILE_PATH];

    snprintf(path, sizeof(path), "%s/%s", mcg_file_dir(run, dir, file), file);
    if (mcg_read_file(path, out) < 0)
        return mcg_fail_errno(err, errno, "read %s", path);
    return 0;
}

int mcg_read_members(const char *dir, char **out, struct mcg_error *err)
{
    char path[MCG_FILE_PATH];

    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    if (mcg_read_file(path, out) == 0)
        return 0;
    /* a threaded group lists its threads only (above); a thread's
     * id written to cgroup.procs, or signalled, stands for its process */
    if (errno == EOPNOTSUPP) {
        snprintf(path, sizeof(path), "%s/cgroup.threads", dir);
        if (mcg_read_file(path, out) == 0)
            return 0;
    }
    return mcg_fail_errno(err, errno, "read %s", path);
}
