/* The table of settings: every typed getter and setter of the policy API,
 * the control file behind it on cgroup v1 and on cgroup v2, how values
 * convert between the two, the kind of value it takes and its unit.  The
 * Ruby methods, their parsing, the v1/v2 difference and the documentation
 * are all driven from here; nothing else in mcgexec knows a v2 file name.
 *
 * Policies stage values in v1 terms (the mruby-cgroup API); on a unified
 * host they are converted when written, and getters convert back, so a
 * policy's arithmetic means the same on both.
 */
#ifndef MCGEXEC_SETTINGS_H
#define MCGEXEC_SETTINGS_H

#include <stdio.h>

#include "run.h"

enum mcg_kind {
    MCG_K_INT,      /* decimal integer */
    MCG_K_QUOTA,    /* integer; -1, :max or "max" for no limit (written -1) */
    MCG_K_SIZE,     /* bytes, or "512M" style with units; -1/:max for no limit */
    MCG_K_COUNT,    /* integer >= 0; -1/:max for no limit (written "max") */
    MCG_K_CPULIST,  /* "0-3,5" */
    MCG_K_DEVRATE,  /* "MAJ:MIN N" or "/dev/X N" (or [dev, N]) */
    MCG_K_DEVBPS,   /* as DEVRATE, N may carry units ("2M") */
    MCG_K_BOOL,     /* true/false, written 1/0 */
    MCG_K_TEXT,     /* a string, passed as it is */
    MCG_K_USEC,     /* microseconds: an Integer, or a duration ("20ms", "1.5s") */
    MCG_K_PRESSURE, /* read only: a pressure file as {"some" => {"avg10" => 0.0, ...}, ...} */
    MCG_K_EVENTS,   /* read only: "key N" lines as {"key" => N, ...} */
};

/* How a setting maps to cgroup v2: a row of functions in v1v2.c (the
 * same file and value, cpu.shares to cpu.weight, the fields of cpu.max,
 * io.max keys, ...), so that each mapping is written once. */
struct mcg_v2_map;

enum { MCG_READ = 1, MCG_WRITE = 2, MCG_RW = 3 };

struct mcg_setting {
    enum mcg_ctrl ctrl;
    const char *method;   /* Ruby method name (the setter adds "=") */
    const char *file;     /* cgroup v1 control file */
    enum mcg_kind kind;
    int access;
    const char *unit;     /* for documentation */
    const struct mcg_v2_map *v2;
    const char *file2;    /* cgroup v2 file (NULL where none) */
    const char *key2;     /* io.max key, cpu.stat key ... */
    const char *key1;     /* a v1 file's key, where the value is one line of it */
    const char *concise;  /* its name in the concise form (`memory "2G"`), or NULL */
};

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

/* A value the policy staged, in v1 terms, waiting for create/modify. */
struct mcg_staged {
    const struct mcg_setting *setting;  /* NULL for c["file"]: a native file */
    char *file;     /* the v1 file, or the native name */
    char *value;    /* as checked and converted for v1 */
    char *shown;    /* as the policy wrote it, for messages */
    int line;       /* where the policy set it */
    int applied;
};

/* Write the group's unapplied staged values, converting on v2 and ordering
 * the writes the kernel needs ordered.  On failure *failed is the entry. */
int mcg_apply_staged(struct mcg_run *run, const char *dir, struct mcg_staged *st, size_t n,
                     size_t *failed, struct mcg_error *err);

/* Read a setting, in v1 terms (malloc'd text). */
int mcg_read_setting(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                     char **text, struct mcg_error *err);

#endif
