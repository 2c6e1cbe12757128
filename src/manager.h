/* A cgroup manager: who makes this run's groups, puts processes in them
 * and removes them.  Everything else behind run.h (the records, the undo
 * journal, joining after the policy, the dry run and the log) is the same
 * whichever manager a run has; a manager is one table of functions, as in
 * crun (src/libcrun/cgroup-cgroupfs.c, cgroup-systemd.c).
 *
 * The one manager today is cgroupfs (src/cgroupfs.c): it writes the cgroup
 * filesystem itself.  A manager records in the run what it changed
 * (run->created, run->moved, run->enabled), so that the undo walk
 * (src/undo.c) can take it back.  The callers in run.h hold the signal
 * guard around every call. */
#ifndef MCGEXEC_MANAGER_H
#define MCGEXEC_MANAGER_H

#include "run.h"

struct mcg_manager {
    const char *name;
    /* Find the hierarchies, where mcgexec is in them and where group names
     * resolve (--root); called once, before the first group is named. */
    int (*setup)(struct mcg_run *run, struct mcg_error *err);
    /* Make group `dir` of controller c and what is missing above it;
     * *created = 1 when `dir` itself was made. */
    int (*create)(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
                  struct mcg_error *err);
    /* Move process `pid` into `dir`. */
    int (*attach)(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                  struct mcg_error *err);
    /* Move the group's processes to its parent, then remove it. */
    int (*destroy)(struct mcg_run *run, enum mcg_ctrl c, const char *dir,
                   struct mcg_error *err);
};

extern const struct mcg_manager mcg_cgroupfs_manager;

#endif
