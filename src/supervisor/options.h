/* How a supervised run goes: the command line's choices that the
 * supervisor (supervise.c) and its report (report.c) both read. */
#ifndef MCGEXEC_SUPERVISOR_OPTIONS_H
#define MCGEXEC_SUPERVISOR_OPTIONS_H

#include "supervisor/execute.h"

struct mrb_state;

struct mcg_supervise_opts {
    int rm;                 /* --rm */
    double timeout;         /* --timeout, seconds; 0 for none */
    int timeout_signal;     /* --timeout-signal: sent at the timeout (SIGTERM) */
    double kill_after;      /* --kill-after: seconds from it to SIGKILL; 0: at once */
    int stats;              /* --stats */
    const char *stats_file; /* --stats=FILE; NULL for stderr */
    enum mcg_stats_format {
        MCG_STATS_TEXT, MCG_STATS_JSON, MCG_STATS_MARKDOWN, MCG_STATS_OPENMETRICS
    } format;               /* --stats-format */
    const char *record_file; /* --record=FILE, or NULL */
    const char *plot_file;  /* --plot=FILE.svg, or NULL */
    double interval;        /* --interval: seconds between samples; 0: adapt to the job */
    const char *policy;     /* the policy's file name ("-e" for --eval), for the record */
    const struct mcg_creds *creds; /* --user, --no-new-privs: applied in the child */
    struct mrb_state *vm;   /* the policy's VM, or NULL: closed once COMMAND has started */
};

#endif
