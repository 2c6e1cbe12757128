/* --wait and what comes with it: mcgexec stays as a small supervisor,
 * forwards signals, enforces --timeout, reports what the command used
 * (--stats) and cleans up (--rm). */
#ifndef MCGEXEC_SUPERVISE_H
#define MCGEXEC_SUPERVISE_H

#include "core/run.h"
#include "supervisor/options.h"


/* Fork and exec `command` in the groups mcgexec joined, wait for it, and
 * return the status mcgexec exits with. */
int mcg_supervise(struct mcg_run *run, char **command, const struct mcg_supervise_opts *o);

#endif
