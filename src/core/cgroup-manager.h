/* A cgroup manager: who makes this run's groups, puts processes in them
 * and removes them.  Everything else behind run.h (the records, the undo
 * journal, joining after the policy, the dry run and the log) is the same
 * whichever manager a run has; a manager is one table of functions, as in
 * crun (src/libcrun/cgroup-cgroupfs.c, cgroup-systemd.c).
 *
 * cgroupfs (src/core/cgroupfs.c) writes the cgroup filesystem itself; systemd
 * (src/core/systemd.c) first has systemd delegate a cgroup to mcgexec, then
 * does the cgroupfs manager's work below it.  src/core/manager.c picks one once
 * the layout is known (discovery, src/core/hierarchy.c, is the same for all),
 * and holds the signal guard around every call.  A manager records in the
 * run what it changed (run->created, run->moved, run->enabled), so that
 * the undo walk (src/core/undo.c) can take it back. */
#ifndef MCGEXEC_MANAGER_H
#define MCGEXEC_MANAGER_H

#include "core/run.h"

struct mcg_manager {
    const char *name;
    /* Called once, when the policy names its first group (`first`), before
     * its directory is known: where the names resolve may depend on it.
     * NULL: nothing to do. */
    int (*place)(struct mcg_run *run, const char *first, struct mcg_error *err);
    /* Make group `dir` of controller c and what is missing above it;
     * *created = 1 when `dir` itself was made. */
    int (*create)(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
                  struct mcg_error *err);
    /* Move process `pid` into `dir`. */
    int (*attach)(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                  struct mcg_error *err);
    /* Move the group's processes to its parent, then remove it. */
    int (*delete)(struct mcg_run *run, enum mcg_ctrl c, const char *dir,
                   struct mcg_error *err);
    /* mcgexec joined its groups: remove the place it stepped into on the
     * way, if it made one.  NULL: it never makes one. */
    void (*drop_leaf)(struct mcg_run *run);
};

extern const struct mcg_manager mcg_cgroupfs_manager;
extern const struct mcg_manager mcg_systemd_manager;

/* The cgroupfs manager's operations, which the systemd manager uses below
 * the cgroup systemd delegated. */
int mcg_cgroupfs_create(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
                        struct mcg_error *err);
int mcg_cgroupfs_attach(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                        struct mcg_error *err);
int mcg_cgroupfs_delete(struct mcg_run *run, enum mcg_ctrl c, const char *dir,
                         struct mcg_error *err);
void mcg_cgroupfs_drop_leaf(struct mcg_run *run);


#endif
