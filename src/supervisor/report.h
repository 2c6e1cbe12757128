/* The --stats report (report.c): what the job used, from the groups'
 * accounting, as text or JSON. */
#ifndef MCGEXEC_REPORT_H
#define MCGEXEC_REPORT_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

#include "core/run.h"
#include "supervisor/options.h"

struct json_t;

/* Counters read before and after the run: the report gives the difference,
 * so a group that existed before reports this run only.  -1: unknown. */
struct mcg_counters {
    int64_t oom_kills, limit_hits, throttled, throttled_ns, io_read, io_write;
    int64_t user_ticks, system_ticks;
    int64_t psi[3][2];          /* PSI_* by some, full: total= in microseconds */
    int64_t events[5];          /* memory.events, by event_keys */
};

struct mcg_report {
    char **command;
    int exited, exit_code, signal, timed_out, oom_killed, status;
    double wall;
    double user, sys;
    const char *cpu_source, *memory_source;
    int64_t mem_peak, mem_limit, tasks_peak;
    struct mcg_counters d;
    int killed;                /* groups --timeout signalled */
    int hard_killed;           /* the timeout's SIGKILL was sent */
    const char *error;         /* why COMMAND never ran, or NULL */
    char memgroup[PATH_MAX];   /* the memory group's name, for messages */
};

/* All the counters for --stats (all = 1); else only what naming an OOM
 * kill needs. */
void mcg_read_counters(struct mcg_run *run, struct mcg_counters *c, int all);
/* After the run: the differences, times, peaks and how COMMAND ended. */
void mcg_collect_report(struct mcg_run *run, const struct mcg_supervise_opts *o,
                        const struct mcg_counters *before, const struct rusage *ru, int status,
                        struct mcg_report *r);
/* The lines that say how the job ended badly: a timeout, an OOM kill. */
void mcg_say_outcome(const struct mcg_supervise_opts *o, const struct mcg_report *r);
/* The report into `stats` (closed unless it is stderr). */
void mcg_write_report(FILE *stats, struct mcg_run *run, const struct mcg_supervise_opts *o,
                      const struct mcg_report *r, const struct json_t *record);
/* A reading of the job's accounting through the settings table (the
 * job's group of controller c, the table's `method`), in v1 terms: the
 * text (malloc'd) or NULL; the number, or -1 where there is none. */
char *mcg_job_reading_text(struct mcg_run *run, enum mcg_ctrl c, const char *method);
int64_t mcg_job_reading(struct mcg_run *run, enum mcg_ctrl c, const char *method);
/* An output file (`what` names it in errors): opened for writing, or
 * before the policy runs checked writable and an older one removed. */
FILE *mcg_open_output(const char *path, const char *what, struct mcg_error *err);
int mcg_prepare_output(const char *path, const char *what, struct mcg_error *err);
/* Where the report goes: stderr, or --stats=FILE. */
FILE *mcg_open_stats(const struct mcg_supervise_opts *o, struct mcg_error *err);

/* --stats=FILE and --record=FILE, before the policy runs: that FILE can be written, and an
 * older report in it gone (a regular file is removed; the new one is
 * written when there is something to say), so that no exit path leaves a
 * stale or an empty report behind. */
int mcg_prepare_stats(const struct mcg_supervise_opts *o, struct mcg_error *err);

/* The report of a job that never ran: COMMAND, the status mcgexec exits
 * with and why (run may be NULL: no groups known). */
void mcg_report_failure(struct mcg_run *run, const struct mcg_supervise_opts *o, char **command,
                        int status, const char *error);

/* COMMAND could not start (err says why): where the job's memory group
 * reached its limit on the way (since `before`; NULL: ever, for a group
 * this run created), the likely cause, err says so too: "... (group NAME
 * reached its memory limit (SIZE) before COMMAND could start)". */
void mcg_say_memory_limit(struct mcg_run *run, const struct mcg_counters *before,
                          const char *command, struct mcg_error *err);

#endif
