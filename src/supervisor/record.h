/* --record=FILE: what the job used over time, sampled by the supervisor
 * from the job's own groups while it runs and written at its end as one
 * JSON object (man mcgexec, RECORD).  Memory of a fixed size: when the
 * buffer of samples fills, neighbours merge (the maximum of memory and
 * pids, the sums of CPU, I/O and stall time) and, unless --interval fixed
 * it, the interval doubles, so a job of seconds and one of hours both come
 * out with hundreds of points. */
#ifndef MCGEXEC_RECORD_H
#define MCGEXEC_RECORD_H

#include "core/run.h"
#include "supervisor/options.h"
#include "supervisor/report.h"

struct mcg_recorder;
struct json_t;

/* The first interval where --interval gives none, the share of one CPU
 * the samples may take (each one's cost is measured: a sample reads about
 * fifteen control files, some 30 to 150 us of CPU by layout and machine,
 * and the interval is never shorter than its cost over this share), and
 * the buffer's size. */
#define MCG_RECORD_FIRST_INTERVAL 0.01
#define MCG_RECORD_CPU_SHARE 0.003
#define MCG_RECORD_SLOTS 1024

/* Start recording the job of `run` now (its limits, the first reading);
 * NULL where no --record was asked for. */
struct mcg_recorder *mcg_record_start(struct mcg_run *run, const struct mcg_supervise_opts *o);
/* The pressure triggers the supervisor polls (POLLPRI) beside its signals:
 * on cgroup v2, one per resource of the job's groups, set to fire when the
 * job stalls 200 ms in 2 s (a window unprivileged users may set too, Linux
 * 6.5 and later); their number, 0 where the kernel gives none (v1, no
 * PSI, a kernel that refuses the trigger: MCGEXEC_PSI_TRIGGERS=0 makes it
 * refuse, for tests).  The fds stay the recorder's. */
int mcg_record_triggers(const struct mcg_recorder *rec, const int **fds);
/* Trigger i fired at `now`: an extra sample, and the event. */
void mcg_record_pressure(struct mcg_recorder *rec, int i, double now);
/* When the next sample is due, in seconds since the start. */
double mcg_record_due(const struct mcg_recorder *rec);
/* A sample at `now` (seconds since the start). */
void mcg_record_sample(struct mcg_recorder *rec, double now);
/* Something the supervisor did or saw at `now`: "timeout" (the timeout's
 * first signal, `detail` its name), "kill" (the SIGKILL after the grace),
 * "cancel" (the service the job left ended). */
void mcg_record_event(struct mcg_recorder *rec, double now, const char *kind, const char *detail);
/* The last sample (the job has ended, its groups are still there), then
 * the record into --record's FILE and its picture into --plot's, with the
 * job's end from `r`; the recorder is freed, and the record returned (the
 * caller's to json_decref; NULL without a recorder).  Errors are said,
 * never fatal: the job's status stands. */
struct json_t *mcg_record_finish(struct mcg_recorder *rec, const struct mcg_report *r);

/* A job that never ran (the policy failed, a join failed, COMMAND could
 * not start before the supervisor): a record that says so, with its
 * error and mcgexec's status, and no samples; its picture too.  `run` may
 * be NULL (no groups known). */
void mcg_record_failure(struct mcg_run *run, const struct mcg_supervise_opts *o, char **command,
                        int status, const char *error);

#endif
