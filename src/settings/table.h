/* The types of the table of settings (src/settings/settings.c), which
 * its rows (settings.c) and their v1/v2 mappings (v1v2.c) share: a
 * setting, the kind of value it takes, a value staged for it, and the
 * row of functions that takes it to either layout. */
#ifndef MCGEXEC_SETTINGS_TABLE_H
#define MCGEXEC_SETTINGS_TABLE_H

#include <stddef.h>

#include "core/run.h"

struct mcg_mapping;

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

enum { MCG_READ = 1, MCG_WRITE = 2, MCG_RW = 3 };

struct mcg_setting {
    enum mcg_ctrl ctrl;
    const char *method;   /* Ruby method name (the setter adds "=") */
    const char *file;     /* cgroup v1 control file */
    enum mcg_kind kind;
    int access;
    const char *unit;     /* for documentation */
    const struct mcg_mapping *map; /* its row: how it reaches cgroup v2 (and v1) */
    const char *file2;    /* cgroup v2 file (NULL where none) */
    const char *key2;     /* io.max key, cpu.stat key ... */
    const char *key1;     /* a v1 file's key, where the value is one line of it */
    const char *concise;  /* its name in the concise form (`memory "2G"`), or NULL */
};

/* A value the policy staged, in v1 terms, waiting for create/modify. */
struct mcg_staged {
    const struct mcg_setting *setting;  /* NULL for c["file"]: a native file */
    char *file;     /* the v1 file, or the native name */
    char *value;    /* as checked and converted for v1 */
    char *shown;    /* as the policy wrote it, for messages */
    int line;       /* where the policy set it */
    int applied;
};

/* How a setting reaches each layout: a row of functions in v1v2.c (the
 * same file and value, cpu.shares to cpu.weight, the fields of cpu.max,
 * io.max keys, ...), so that each mapping is written once. */
typedef int mcg_write_fn(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                            const struct mcg_staged *st, size_t n, struct mcg_error *err);
typedef int mcg_read_fn(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                        char **text, struct mcg_error *err);

struct mcg_mapping {
    /* the V2 FILE column of --list-settings; $f is file2, $k key2 */
    const char *describe;
    /* write the staged value e (in v1 terms) the v2 way; `st` is the
     * group's other staged values.  NULL: "has no cgroup v2 equivalent" */
    mcg_write_fn *write;
    mcg_read_fn *read;          /* back in v1 terms; NULL: no v2 meaning at all */
    const char *no_write;       /* why a setting that reads on v2 cannot be written there */
    mcg_read_fn *read_v1;       /* NULL: the whole v1 file, or its line key1 */
    mcg_write_fn *write_v1;  /* NULL: the value into the v1 file as it is */
    int v2_only;                /* no v1 meaning: `file` is the v2 file's name */
};

#endif
