/* How each setting of the table (src/settings/settings.c) reaches cgroup v2 and
 * reads back in v1 terms: one row of functions per mapping, in v1v2.c,
 * after crun's, runc's and systemd's (man/mcgexec.1, CGROUP V2).  The
 * table and these rows are all mcgexec knows of the v1/v2 difference in
 * values. */
#ifndef MCGEXEC_V1V2_H
#define MCGEXEC_V1V2_H

#include "settings/table.h"

extern const struct mcg_mapping mcg_v2_same, mcg_v2_none, mcg_v2_weight, mcg_v2_max_quota,
    mcg_v2_max_period, mcg_v2_mem_max, mcg_v2_swap, mcg_v2_io, mcg_v2_read, mcg_v2_peak,
    mcg_v2_usage_ns, mcg_v2_ticks, mcg_v2_memsw_usage, mcg_v2_oom_control, mcg_v2_keyed,
    mcg_v2_keyed_usec, mcg_v2_io_bytes, mcg_v2_only_same, mcg_v2_only_max, mcg_v2_pressure,
    mcg_v2_events, mcg_v2_blkio_weight, mcg_v2_blkio_weight_device;

/* A number read back, as the text a getter returns (malloc'd); 0. */
int mcg_give_int(char **text, int64_t v);
/* Is the staged entry the setting of v1 file `file`? */
int mcg_staged_is(const struct mcg_staged *e, const char *file);
/* Read s on a v1 host. */
int mcg_read_v1(struct mcg_run *run, const char *dir, const struct mcg_setting *s, char **text,
                struct mcg_error *err);

#endif
