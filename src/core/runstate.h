/* A run's state on disk, so that a run killed by SIGKILL (the OOM killer,
 * a runner's hard kill, kill -9), which can undo nothing itself, leaves
 * nothing that nobody will clean (src/core/runstate.c writes it,
 * src/core/reclaim.c reads it back).
 *
 * Each run that makes a group keeps one file in the state directory,
 * /run/mcgexec for root, $XDG_RUNTIME_DIR/mcgexec for a user
 * (MCGEXEC_STATE_DIR in its place), named after its pid and the pid's
 * start time: the groups it is about to make and has made (with their
 * inodes), the controllers it enabled, and whether its groups go at its
 * end (--rm).  The file goes when the run ends as it should: its groups
 * are removed, or they are the command's (in place, once it is started;
 * --wait, once the job has ended and been reported).  What is left of a
 * run whose owner is dead is reclaimed by the next run (mcg_reclaim, in
 * passing) or by `mcgexec --gc`. */
#ifndef MCGEXEC_RUNSTATE_H
#define MCGEXEC_RUNSTATE_H

#include "base/error.h"

struct mcg_run;

/* In place, just before the exec: the groups become the command's (the
 * file is marked so, not removed, until the owner is seen dead: a
 * SIGKILL during the exec itself kills the command, whose groups they
 * are).  Undone where the exec failed. */
void mcg_state_exec(struct mcg_run *run);
void mcg_state_exec_failed(struct mcg_run *run);
/* Supervised: COMMAND's process is in its groups (populated groups
 * cannot be removed, so reclaiming needs no more protection from this
 * run than its file). */
void mcg_state_started(struct mcg_run *run);

struct mcg_reclaim_counts {
    int runs;       /* dead runs whose state was read */
    int removed;    /* groups removed */
    int killed;     /* processes killed (runs that asked for --rm) */
    int kept;       /* groups of dead runs that could not go yet (busy) */
};

/* Reclaim what dead runs left: their groups (never one whose inode
 * differs from the one made, one a live run names, or one that is not on
 * a cgroup filesystem), the processes in them where the run asked for
 * --rm, the controllers they enabled where no group is left below.
 * wait: wait for runs making groups right now (--gc); else skip the
 * reclaim if any is (a run in passing never waits).  say: 1, one line a
 * dead run on stderr; 2, and each step (--verbose).  0, or -1 with err
 * where the state directory cannot be read. */
int mcg_reclaim(int wait, int say, struct mcg_reclaim_counts *counts, struct mcg_error *err);
/* The state directory of the caller, or NULL (a user without
 * XDG_RUNTIME_DIR). */
const char *mcg_state_dir(void);

#endif
