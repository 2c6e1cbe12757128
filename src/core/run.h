/* One run of mcgexec and the cgroups it touches: where each controller's
 * hierarchy is (found once), where group names resolve (--root), what this
 * run created, moved and must join, and how to undo it.  This is the whole
 * interface the rest of mcgexec (the policy API, main, the supervisor) has
 * to cgroups; who does the work behind it is the run's manager
 * (src/core/cgroup-manager.h).
 *
 * Every operation that changes the system goes through here, so that
 * --dry-run (print, touch nothing) and --verbose (print, then do) are one
 * switch, and so that an error anywhere can roll back exactly what this run
 * did and nothing else.
 *
 * Where each part lives, lowest first: the run's records, the log and
 * file access in run.c; the signal guard in guard.c; finding the
 * hierarchies and the run's position in hierarchy.c; the undo walk and
 * removal after --rm in undo.c; the managers (cgroupfs.c, systemd.c)
 * creating, attaching and deleting; choosing one, and every entry that
 * needs one, in manager.c; joining after the policy in join.c.
 */
#ifndef MCGEXEC_RUN_H
#define MCGEXEC_RUN_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/error.h"
#include "core/guard.h"

/* A control file: a group directory plus "/" and a file name. */
#define MCG_FILE_PATH (PATH_MAX + 256)

enum mcg_ctrl { MCG_CPU, MCG_CPUACCT, MCG_CPUSET, MCG_BLKIO, MCG_MEMORY, MCG_PIDS, MCG_NCTRL };
/* On a unified host every controller has the one hierarchy: this index
 * names it where no controller is meant. */
#define MCG_V2_HIER MCG_CPUACCT

/* Each controller's names (src/core/hierarchy.c): the v1 hierarchy, the v2
 * controller (NULL: none needed, CPUACCT reads cpu.stat), the Ruby class
 * under Cgroup. */
struct mcg_controller { const char *v1, *v2, *class_name; };
extern const struct mcg_controller mcg_controllers[MCG_NCTRL];

/* Found once per run: one v1 hierarchy per controller (hybrid when an
 * empty-or-not cgroup2 is mounted beside them: v1 is used), or cgroup2
 * alone (unified). */
enum mcg_layout { MCG_LAYOUT_NONE, MCG_LAYOUT_V1, MCG_LAYOUT_HYBRID, MCG_LAYOUT_UNIFIED };

/* One run: private to the cgroup core (src/core/run-internal.h); the
 * rest of mcgexec holds a pointer and asks through the functions below. */
struct mcg_run;

/* --manager: who manages the groups (src/core/manager.c). */
enum mcg_manager_choice { MCG_MANAGER_AUTO, MCG_MANAGER_SYSTEMD, MCG_MANAGER_CGROUPFS };

/* How a run is to go: the command line's choices. */
struct mcg_run_opts {
    int dry_run, verbose;
    int supervised;                 /* --wait */
    int rm;                         /* --rm */
    const char *root;               /* --root / MCGEXEC_ROOT; NULL for none */
    enum mcg_manager_choice manager;
    const char *slice;              /* --slice; NULL for system.slice */
    int scope;                      /* --scope */
    int stop_signal;                /* --timeout-signal */
    double stop_grace;              /* --kill-after, seconds */
    char *const *command;           /* COMMAND and its arguments */
};

/* A new run (never NULL: out of memory ends mcgexec), and its end: the
 * signal guard ends with it. */
struct mcg_run *mcg_run_new(const struct mcg_run_opts *o);
void mcg_run_free(struct mcg_run *run);

/* What the policy engine, the supervisor and the command line ask of a
 * run. */
int mcg_dry_run(const struct mcg_run *run);
/* mcgexec's own pid, which COMMAND keeps when it runs in place */
pid_t mcg_run_pid(const struct mcg_run *run);
/* COMMAND runs in a child (--wait, or where the manager needs it) */
int mcg_supervised(const struct mcg_run *run);
/* The manager's name ("cgroupfs", "systemd"), "none" before the choice. */
const char *mcg_manager_name(const struct mcg_run *run);
/* The groups must go when the job ends, as with --rm: the manager put
 * them inside another program's cgroups (src/core/systemd.c). */
int mcg_rm_forced(const struct mcg_run *run);
/* A dry run: how many places the caller would be refused. */
size_t mcg_refused_count(const struct mcg_run *run);
/* The layout found so far, without looking: MCG_LAYOUT_NONE before. */
enum mcg_layout mcg_layout_found(const struct mcg_run *run);
/* Is this a cgroup v2 (unified) host, as found (0 before)? */
int mcg_is_v2(const struct mcg_run *run);

/* "auto", "systemd", "cgroupfs": 0, or -1 for none of these. */
int mcg_parse_manager(const char *s, enum mcg_manager_choice *out);

/* A dry run: say under the step just printed if the caller would be
 * refused it on `path` (permissions, a read-only mount). */
void mcg_dry_check(struct mcg_run *run, const char *path);

/* Print an operation: on stdout for a dry run, on stderr with --verbose. */
void mcg_log(struct mcg_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *mcg_ctrl_name(enum mcg_ctrl c);

/* The layout, finding the hierarchies and choosing the manager if not yet
 * done (either can fail: no cgroup filesystem, a manager that cannot
 * serve, --manager systemd without systemd); -1 with err then. */
int mcg_layout(struct mcg_run *run, struct mcg_error *err);
const char *mcg_layout_name(const struct mcg_run *run);

/* What the control files of controller `c` start with on this host:
 * "blkio" on v1 is "io" on v2, "cpuacct" is "cpu". */
const char *mcg_file_prefix(const struct mcg_run *run, enum mcg_ctrl c);

/* Absolute directory of group `name` of controller `c` (finds the
 * hierarchies on first use). */
int mcg_group_dir(struct mcg_run *run, enum mcg_ctrl c, const char *name, char *dir,
                  size_t len, struct mcg_error *err);

/* Does the directory exist (or, in a dry run, would it)? */
int mcg_dir_exists(struct mcg_run *run, const char *dir);

/* Create the group and any missing ancestors; records what it made.
 * *created is set to 1 when the group itself was made by this call. */
int mcg_create(struct mcg_run *run, enum mcg_ctrl c, const char *dir, int *created,
               struct mcg_error *err);

int mcg_write(struct mcg_run *run, const char *dir, const char *file, const char *value,
              struct mcg_error *err);

/* Read a control file; *out is malloc'd, trailing newline removed. */
int mcg_read(struct mcg_run *run, const char *dir, const char *file, char **out,
             struct mcg_error *err);

/* Move a whole process (cgroup.procs) into the group. */
int mcg_attach(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
               struct mcg_error *err);

/* Move the group's processes to its parent, then remove it. */
int mcg_delete(struct mcg_run *run, enum mcg_ctrl c, const char *dir, struct mcg_error *err);

/* The policy moved `pid` into `dir` itself (attach, detach): where that is
 * mcgexec, its place in that hierarchy is the policy's choice, and the
 * joins after the policy leave the hierarchy alone.  In a supervised run
 * mcgexec itself never moves: the group is the one COMMAND joins in that
 * hierarchy (the supervisor must not be held or killed by the job's
 * limits). */
int mcg_policy_attach(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                      struct mcg_error *err);

/* Remember that mcgexec is to join `dir` once the policy returns. */
int mcg_add_pending(struct mcg_run *run, enum mcg_ctrl c, const char *dir);

/* Join every pending group (the deepest where several nest). */
int mcg_join_pending(struct mcg_run *run, struct mcg_error *err);

/* For a supervised run (--wait, --rm): decide the joins now (the same
 * checks as mcg_join_pending) and leave them to COMMAND's process, which
 * calls mcg_join_planned(run, getpid()) between fork and exec, so that the
 * supervisor never enters and leaves the job's groups. */
int mcg_plan_child_joins(struct mcg_run *run, struct mcg_error *err);
int mcg_join_planned(struct mcg_run *run, pid_t pid, struct mcg_error *err);
/* Where COMMAND's process can instead be started by the kernel (clone3's
 * CLONE_INTO_CGROUP): on a unified host, the one group it would join; NULL
 * on v1, or where it joins nothing. */
const char *mcg_planned_birth(const struct mcg_run *run);

/* After a failure: move back what this run moved and remove what it created. */
void mcg_rollback(struct mcg_run *run);

/* COMMAND is about to run: what this run made is the command's now. */
void mcg_commit(struct mcg_run *run);

/* ---- signals before COMMAND starts ---- */

/* Until COMMAND starts, SIGHUP, SIGINT, SIGQUIT, SIGPIPE and SIGTERM, and
 * the crash signals SIGSEGV, SIGBUS, SIGABRT, SIGFPE and SIGILL, undo what
 * the run did (as mcg_rollback) and end mcgexec by that signal, so that a
 * policy that hangs or a crash leaves no groups behind; so does mruby's
 * exit(1) on an internal error, with status 125 (src/core/guard.c, handed the
 * undo walk of src/core/undo.c).  Signals the caller ignores stay ignored.
 * mcg_guard_end, _hold and _release: guard.h. */
void mcg_guard_begin(struct mcg_run *run);

/* ---- for the supervisor (--wait) ---- */

/* The job's group for controller c: the one COMMAND joins (or joined), or
 * the one the policy attached mcgexec to; -1 where there is none.  Never
 * mcgexec's own place, where it started or the leaf it stepped into. */
int mcg_job_dir(const struct mcg_run *run, enum mcg_ctrl c, char *dir, size_t len);

/* `dir` relative to the hierarchy's --root group: the name a policy gave. */
const char *mcg_group_name_of(const struct mcg_run *run, enum mcg_ctrl c, const char *dir);

/* Did this run create `dir` (or a group above it)? */
int mcg_created_here(const struct mcg_run *run, const char *dir);

/* The service whose stop must end the job, where nothing else ties the
 * job to it (src/core/systemd.c): a pidfd that polls readable once the
 * service's main process has ended, with the service's name in *unit;
 * -1 where there is none. */
int mcg_unit_watch(const struct mcg_run *run, const char **unit);
/* Does another program own the cgroup mcgexec runs in, and signal the
 * job through it (src/core/groupfile.c: Slurm's task)?  Its SIGTERM is then a
 * cancellation, whose SIGKILL comes after a grace of its own. */
int mcg_owner_signals(const struct mcg_run *run);

/* Move mcgexec back where it was before joining (the supervisor must not
 * be in the job's groups: not charged, not killed with them). */
void mcg_leave(struct mcg_run *run);

/* Send `sig` to every process in `dir` and below, until none is left
 * (SIGKILL) or once (other signals).  Uses cgroup.kill where the kernel
 * has it.  Returns the number of processes signalled, or -1. */
int mcg_kill_tree(struct mcg_run *run, const char *dir, int sig);

/* Kill what is left in the groups this run created, then remove them (and
 * take back controllers, and move mcgexec home) as a rollback does. */
void mcg_remove_created(struct mcg_run *run);

#endif
