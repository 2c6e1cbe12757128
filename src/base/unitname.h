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

/* The unit a cgroup path belongs to ("system.slice/x.service/leaf"): walking
 * up from its last part, the first that names a service or a scope, where
 * it starts in `cgroup` ("x.service/leaf"), with *end the length of the
 * unit's own cgroup path ("system.slice/x.service").  NULL when no part
 * does (a slice, the root). */
const char *mcg_unit_of(const char *cgroup, size_t *end);

/* Does unit name `unit` end in `kind` (".service", ".scope")? */
int mcg_unit_kind_is(const char *unit, const char *kind);

/* Is process `pid`, whose parent is `ppid`, a service's own program: its
 * main or control process (`main_pid`, `control_pid`, 0 for none), or
 * started directly by one of them (a shell its ExecStart= runs)?  Deeper
 * (the grandchild of a CI runner's main process) it is a job in the
 * service's process tree, which gets a scope of its own (src/core/systemd.c). */
int mcg_own_program(pid_t pid, pid_t ppid, pid_t main_pid, pid_t control_pid);

#endif
