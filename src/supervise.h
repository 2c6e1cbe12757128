/* --wait and what comes with it: mcgexec stays as a small supervisor,
 * forwards signals, enforces --timeout, reports what the command used
 * (--stats) and cleans up (--rm). */
#ifndef MCGEXEC_SUPERVISE_H
#define MCGEXEC_SUPERVISE_H

#include "run.h"
#include "execute.h"

struct mcg_supervise_opts {
    int rm;                 /* --rm */
    double timeout;         /* --timeout, seconds; 0 for none */
    int timeout_signal;     /* --timeout-signal: sent at the timeout (SIGTERM) */
    double kill_after;      /* --kill-after: seconds from it to SIGKILL; 0: at once */
    int stats;              /* --stats */
    const char *stats_file; /* --stats=FILE; NULL for stderr */
    int json;               /* --stats-format=json */
    const struct mcg_creds *creds; /* --user, --no-new-privs: applied in the child */
    struct mrb_state *vm;   /* the policy's VM, or NULL: closed once COMMAND has started */
};

/* Fork and exec `command` in the groups mcgexec joined, wait for it, and
 * return the status mcgexec exits with. */
int mcg_supervise(struct mcg_run *run, char **command, const struct mcg_supervise_opts *o);

#endif
