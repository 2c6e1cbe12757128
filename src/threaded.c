/* Groups as a threaded subtree below mcgexec's own cgroup (cgroup v2),
 * where mcgexec runs deep inside a subtree systemd delegated to another
 * program (src/systemd.c: Slurm's task_K, an outer run's job group).
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
 * file holds the kernel's default (nobody else's limit is lifted), and
 * the value before goes back when the run's journal is undone.  Reading
 * a group's memory and io files (the report, the OOM line) reads the
 * domain's, which counts the whole subtree. */
#define _GNU_SOURCE
#include "run.h"
#include "run-internal.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
    return run->thread_domain != NULL;
}

void mcg_thread_below(struct mcg_run *run, const char *own)
{
    free(run->thread_domain);
    run->thread_domain = xstrdup(own);
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
    const char *top = run->thread_domain;

    if (!top || strcmp(dir, top) == 0 || !mcg_path_within(dir, top) || !file_is_domain(file))
        return dir;
    return top;
}

/* The kernel's default of a domain controller's file: no limit, no
 * protection, no event grouping (memory.max "max", memory.low "0",
 * memory.oom.group "0", io.max "", io.weight "default 100"). */
static int holds_default(const char *value)
{
    return strcmp(value, "max") == 0 || strcmp(value, "0") == 0 || value[0] == '\0' ||
           strcmp(value, "default 100") == 0;
}

int mcg_claim_domain_file(struct mcg_run *run, const char *group, const char *file,
                          struct mcg_error *err)
{
    const char *top = run->thread_domain;
    char path[MCG_FILE_PATH], *old = NULL;

    if (run->domain_group && strcmp(run->domain_group, group) != 0)
        return mcg_fail(err, "%s of group %s: below %s the groups are threaded (so that the "
                             "program that owns it still signals the job), and memory and io "
                             "limits are that cgroup's, for one group: group %s has them", file,
                        mcg_group_name_of(run, MCG_MEMORY, group), top,
                        mcg_group_name_of(run, MCG_MEMORY, run->domain_group));
    for (size_t i = 0; i < run->saved.n; i++)
        if (strcmp(((struct saved_file *)run->saved.items[i])->file, file) == 0)
            return 0; /* saved, and ours, already */
    snprintf(path, sizeof(path), "%s/%s", top, file);
    if (mcg_read_file(path, &old) < 0) {
        if (errno == ENOENT)
            return mcg_fail(err, "%s of group %s: below %s the groups are threaded (so that "
                                 "the program that owns it still signals the job), and their "
                                 "memory and io limits are that cgroup's, which has no %s "
                                 "(its parent did not enable the controller)",
                            file, mcg_group_name_of(run, MCG_MEMORY, group), top, file);
        return mcg_fail_errno(err, errno, "read %s", path);
    }
    if (!holds_default(old)) {
        mcg_fail(err, "%s of group %s: below %s the groups are threaded (so that the program "
                      "that owns it still signals the job), and their memory and io limits "
                      "are that cgroup's, whose %s is %s already, set by the program that "
                      "owns it: ask that program for the limit (as srun --mem does)",
                 file, mcg_group_name_of(run, MCG_MEMORY, group), top, file, old);
        free(old);
        return -1;
    }
    struct saved_file *s = malloc(sizeof(*s));
    if (!s)
        abort();
    s->file = xstrdup(file);
    s->value = old;
    mcg_list_push(&run->saved, s);
    if (!run->domain_group)
        run->domain_group = xstrdup(group);
    return 0;
}

void mcg_free_saved(struct mcg_run *run)
{
    for (size_t i = 0; i < run->saved.n; i++) {
        struct saved_file *s = run->saved.items[i];
        free(s->file);
        free(s->value);
        free(s);
    }
    run->saved.n = 0;
    free(run->domain_group);
    run->domain_group = NULL;
}
