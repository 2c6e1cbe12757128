/* systemd's unit names, as the systemd manager (systemd.c) needs them:
 * pure string functions, unit-tested in tests/unit/test_unitname.c. */
#ifndef MCGEXEC_UNITNAME_H
#define MCGEXEC_UNITNAME_H

#include <stddef.h>
#include <sys/types.h>

/* Is `s` a slice unit's name: NAME.slice, NAME of unit-name characters
 * (systemd itself refuses more, such as "a--b.slice", and says so)? */
int mcg_valid_slice(const char *s);

/* The cgroup of slice `s` below the root, in out: "a-b.slice" is
 * "a.slice/a-b.slice", "-.slice" the root "" (systemd.slice(5)).
 * -1 when it does not fit. */
int mcg_slice_dir(const char *s, char *out, size_t len);

/* The scope mcgexec asks for: mcgexec-GROUP-PID.scope, GROUP the policy's
 * first group with '/' as '-' and what a unit name cannot hold as '_',
 * at most 100 characters of it ("group" when empty). */
void mcg_scope_name(const char *group, pid_t pid, char *out, size_t len);

/* The service a cgroup path ("system.slice/x.service") is, if its last
 * part is one: "x.service", else NULL. */
const char *mcg_service_of(const char *cgroup);

#endif
