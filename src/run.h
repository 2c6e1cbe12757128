/* One run of mcgexec and the cgroups it touches: where each controller's
 * hierarchy is (found once), where group names resolve (--root), what this
 * run created, moved and must join, and how to undo it.  This is the whole
 * interface the rest of mcgexec (the policy API, main, the supervisor) has
 * to cgroups; who does the work behind it is the run's manager
 * (src/manager.h).
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

#include "error.h"
#include "guard.h"

/* A control file: a group directory plus "/" and a file name. */
#define MCG_FILE_PATH (PATH_MAX + 256)

enum mcg_ctrl { MCG_CPU, MCG_CPUACCT, MCG_CPUSET, MCG_BLKIO, MCG_MEMORY, MCG_PIDS, MCG_NCTRL };

/* Each controller's names (src/hierarchy.c): the v1 hierarchy, the v2
 * controller (NULL: none needed, CPUACCT reads cpu.stat), the Ruby class
 * under Cgroup. */
struct mcg_controller { const char *v1, *v2, *class_name; };
extern const struct mcg_controller mcg_controllers[MCG_NCTRL];

/* Found once per run: one v1 hierarchy per controller (hybrid when an
 * empty-or-not cgroup2 is mounted beside them: v1 is used), or cgroup2
 * alone (unified). */
enum mcg_layout { MCG_LAYOUT_NONE, MCG_LAYOUT_V1, MCG_LAYOUT_HYBRID, MCG_LAYOUT_UNIFIED };

/* Paths are allocated strings, "" until known (a PATH_MAX buffer each
 * would cost a page fault apiece at start-up). */
struct mcg_hier {
    char *mount;            /* "" when the controller is not mounted */
    char *mnt_root;         /* the hierarchy's path mounted there ("/" but in containers) */
    char *base;             /* where names resolve, relative to mount ("" = root) */
    char *orig;             /* mcgexec's cgroup at start, relative ("" = root) */
    char *cur;              /* mcgexec's cgroup now, relative */
    char *job;              /* COMMAND's group, once the supervisor left it */
    int explicit_attach;    /* the policy attached or detached itself here */
};

struct group_ref;           /* a group directory of a controller (run-internal.h) */
struct mcg_manager;         /* who creates, attaches and deletes (manager.h) */

struct mcg_list {           /* a small growable list of records */
    void **items;
    size_t n, cap;
};

/* --manager: who manages the groups (manager.h, systemd.c). */
enum mcg_manager_choice { MCG_MANAGER_AUTO, MCG_MANAGER_SYSTEMD, MCG_MANAGER_CGROUPFS };

struct mcg_run {
    const struct mcg_manager *manager;
    enum mcg_manager_choice manager_choice;
    const char *slice;      /* --slice: where the systemd manager's scope goes (default
                               system.slice; for a user, app.slice, as systemd-run's) */
    int slice_given;        /* --slice was given (not the default) */
    int scope_forced;       /* --scope: a scope of its own, wherever mcgexec runs */
    int stop_signal;        /* what stopping mcgexec's scope sends first, then SIGKILL */
    double stop_grace;      /* after this many seconds (--timeout-signal, --kill-after) */
    int unit_watch;         /* a pidfd of the main process of the service mcgexec left
                               for a scope it cannot be bound to (a system service's
                               job in the user's manager), or -1: the supervisor ends
                               the job when that process ends */
    char *unit_watched;     /* that service's name */
    int rm_forced;          /* the groups go when the job ends, as with --rm: they are
                               inside another program's cgroups, which it must be able
                               to remove (src/systemd.c) */
    char *const *command;   /* COMMAND and its arguments (a scope's description) */
    int placed;             /* the manager's place() ran */
    int dry_run;
    int verbose;
    int supervised;         /* --wait: COMMAND runs in a child, mcgexec stays outside */
    pid_t pid;              /* our pid: the pid COMMAND will have */
    int rootless;           /* not root: only what systemd's user manager delegates */
    char *plan_offers;      /* a dry run: the directory whose cgroup.controllers bounds
                               planned groups (the user manager's), or NULL */
    const char *root;       /* --root / MCGEXEC_ROOT, NULL for none */
    int discovered;
    enum mcg_layout layout;
    char *unified;            /* the cgroup2 mount on a unified host, else "" */
    int ns_root;              /* v2: the mount's top is not the host's root but a
                                 container's cgroup namespace root (it has
                                 cgroup.type): the no-internal-processes rule holds */
    struct mcg_hier hier[MCG_NCTRL];
    struct mcg_list created;  /* struct group_ref *: dirs this run made, in order */
    struct mcg_list moved;    /* struct moved *: pids this run attached elsewhere */
    struct mcg_list pending;  /* struct group_ref *: groups to join after the policy */
    struct mcg_list attached; /* struct group_ref *: supervised, the groups the policy
                                 attached mcgexec to, which COMMAND joins instead */
    struct mcg_list planned;  /* char *: dirs a dry run pretends to have made */
    struct mcg_list enabled;  /* struct group_ref *: v2 subtree_control entries this run
                                 added (dir, controller) */
    char *self_leaf;          /* v2: the leaf mcgexec moved itself into, if it had to */
    char *thread_domain;      /* v2, deep inside another program's delegation: mcgexec's
                                 own cgroup, below which its groups are threaded
                                 (src/groupfile.c); else NULL */
    char *domain_group;       /* the group whose memory and io settings went to
                                 thread_domain */
    struct mcg_list saved;    /* struct saved_file *: thread_domain's files this run
                                 wrote, with their values before */
    char *own_scope;          /* the systemd scope this run started (absolute dir): it
                                 and all below it go with mcgexec's exit */
    struct mcg_list refused;  /* char *: a dry run's places the caller would be
                                 refused (each said once) */
    const struct group_ref *join[MCG_NCTRL]; /* groups COMMAND joins itself
                                                (mcg_plan_child_joins) */
};

/* How a run is to go: the command line's choices. */
struct mcg_run_opts {
    int dry_run, verbose;
    int supervised;                 /* --wait */
    const char *root;               /* --root / MCGEXEC_ROOT; NULL for none */
    enum mcg_manager_choice manager;
    const char *slice;              /* --slice; NULL for system.slice */
    int scope;                      /* --scope */
    int stop_signal;                /* --timeout-signal */
    double stop_grace;              /* --kill-after, seconds */
    char *const *command;           /* COMMAND and its arguments */
};

void mcg_run_init(struct mcg_run *run, const struct mcg_run_opts *o);
void mcg_run_free(struct mcg_run *run);

/* "auto", "systemd", "cgroupfs": 0, or -1 for none of these. */
int mcg_parse_manager(const char *s, enum mcg_manager_choice *out);

/* A dry run: say under the step just printed if the caller would be
 * refused it on `path` (permissions, a read-only mount). */
void mcg_dry_check(struct mcg_run *run, const char *path);

/* Print an operation: on stdout for a dry run, on stderr with --verbose. */
void mcg_log(struct mcg_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *mcg_ctrl_name(enum mcg_ctrl c);

/* The layout, finding the hierarchies if not yet done; -1 on error. */
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
 * exit(1) on an internal error, with status 125 (src/guard.c, handed the
 * undo walk of src/undo.c).  Signals the caller ignores stay ignored.
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
 * job to it (src/systemd.c): a pidfd that polls readable once the
 * service's main process has ended, with the service's name in *unit;
 * -1 where there is none. */
int mcg_unit_watch(const struct mcg_run *run, const char **unit);
/* Does another program own the cgroup mcgexec runs in, and signal the
 * job through it (src/groupfile.c: Slurm's task)?  Its SIGTERM is then a
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
