/* The table of settings: every typed getter and setter of the policy API,
 * the control file behind it, the kind of value it takes and its unit.
 * The Ruby methods, their parsing, the documentation tables and the
 * generic c["file"] form are all driven from here. */
#ifndef MCGEXEC_SETTINGS_H
#define MCGEXEC_SETTINGS_H

#include "cgroupfs.h"

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
};

enum { MCG_READ = 1, MCG_WRITE = 2, MCG_RW = 3 };

struct mcg_setting {
    enum mcg_ctrl ctrl;
    const char *method;   /* Ruby method name (the setter adds "=") */
    const char *file;     /* cgroup v1 control file */
    enum mcg_kind kind;
    int access;
    const char *unit;     /* for documentation */
};

extern const struct mcg_setting mcg_settings[];
extern const size_t mcg_nsettings;

/* The class name under module Cgroup for each controller ("CPU", ...). */
extern const char *const mcg_class_names[MCG_NCTRL];

const struct mcg_setting *mcg_setting_find(enum mcg_ctrl ctrl, const char *method);
const struct mcg_setting *mcg_setting_by_file(enum mcg_ctrl ctrl, const char *file);

#endif
