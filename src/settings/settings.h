/* The table of settings: every typed getter and setter of the policy API,
 * the control file behind it on cgroup v1 and on cgroup v2, how values
 * convert between the two, the kind of value it takes and its unit.  The
 * Ruby methods, their parsing, the v1/v2 difference and the documentation
 * are all driven from here; besides the table, only the core (which
 * enables controllers and reads the files it must, such as cgroup.procs)
 * and --stats (pids.peak, by the same name on both) name a v2 file.
 *
 * Policies stage values in v1 terms (the mruby-cgroup API); on a unified
 * host they are converted when written, and getters convert back, so a
 * policy's arithmetic means the same on both.
 */
#ifndef MCGEXEC_SETTINGS_H
#define MCGEXEC_SETTINGS_H

#include <stdio.h>

#include "core/run.h"
#include "settings/table.h"

extern const struct mcg_setting mcg_settings[];
extern const size_t mcg_nsettings;
#define MCG_NSETTINGS_MAX 64

/* --list-settings: every row of the table, one a line, aligned. */
void mcg_list_settings(FILE *out);

const struct mcg_setting *mcg_setting_find(enum mcg_ctrl ctrl, const char *method);
/* The setting behind c["file"] on this run's layout (NULL: a native file). */
const struct mcg_setting *mcg_setting_by_file(const struct mcg_run *run, enum mcg_ctrl ctrl,
                                              const char *file);

/* Can `s` be read (write = 0) or written (write = 1) on this run's layout?
 * If not, fills err ("cpu.rt_runtime_us has no cgroup v2 equivalent"). */
int mcg_setting_usable(struct mcg_run *run, const struct mcg_setting *s, int write,
                       struct mcg_error *err);

/* Write the group's unapplied staged values, converting on v2 and ordering
 * the writes the kernel needs ordered.  On failure *failed is the entry. */
int mcg_apply_staged(struct mcg_run *run, const char *dir, struct mcg_staged *st, size_t n,
                     size_t *failed, struct mcg_error *err);

/* Read a setting, in v1 terms (malloc'd text). */
int mcg_read_setting(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                     char **text, struct mcg_error *err);

#endif
