/* What cgroupfs.c and undo.c share, and nothing else sees: the records of
 * the undo journal and the helpers both sides use. */
#ifndef MCGEXEC_CGROUPFS_INTERNAL_H
#define MCGEXEC_CGROUPFS_INTERNAL_H

#include "cgroupfs.h"

/* A group this run created (`gone` once the undo walk removed it), or one
 * whose subtree_control it changed. */
struct group_ref { enum mcg_ctrl ctrl; char *dir; int gone; };
/* A process this run moved, and the group it came from. */
struct moved { enum mcg_ctrl ctrl; pid_t pid; char *from; /* absolute dir */ };

/* cgroup v2 names of the controllers (NULL: none, cpuacct is part of cpu) */
extern const char *const mcg_v2_names[MCG_NCTRL];

void mcg_free_refs(struct mcg_list *l);
/* Is `dir` `top` or below it? */
int mcg_path_within(const char *dir, const char *top);
/* mcgexec's group in hierarchy h, absolute */
int mcg_cur_dir(const struct mcg_hier *h, char *out, size_t len);
/* open, write, close: -1 with errno */
int mcg_write_file(const char *path, const char *value);
/* pid into dir/cgroup.procs, logged (a dry run only logs) */
int mcg_put_pid(struct mcg_run *run, const char *dir, const char *pid);

/* The run's records are about to be freed: end the guard if it watches it. */
void mcg_guard_forget(const struct mcg_run *run);

#endif
