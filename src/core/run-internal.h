/* What the parts of the cgroup core share, and nothing above it sees: the
 * run itself, the records of its undo journal, and the helpers the parts
 * use on each other's behalf.  Only files of src/core/ include this
 * (scripts/callgraph.py checks it); the rest of mcgexec has run.h. */
#ifndef MCGEXEC_RUN_INTERNAL_H
#define MCGEXEC_RUN_INTERNAL_H

#include "core/run.h"

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

/* A group this run created (`gone` once the undo walk removed it), or one
 * whose subtree_control it changed. */
struct group_ref { enum mcg_ctrl ctrl; char *dir; int gone; };
/* A process this run moved, and the group it came from; with_self: it
 * went with mcgexec into its leaf, and goes back with it. */
struct moved { enum mcg_ctrl ctrl; pid_t pid; char *from; /* absolute dir */ int with_self; };
/* A file of the threaded domain this run wrote, and its value before. */
struct saved_file { char *file; char *value; };

/* A small growable list of records: `any` for the helpers that grow and
 * shrink every kind alike (run.c), `items` typed for the rest. */
struct mcg_list { void **items; size_t n, cap; };
#define MCG_LIST_OF(type)                                                                          \
    union {                                                                                        \
        struct mcg_list any;                                                                       \
        struct { type **items; size_t n, cap; };                                                  \
    }
struct mcg_refs { MCG_LIST_OF(struct group_ref); };
struct mcg_moves { MCG_LIST_OF(struct moved); };
struct mcg_saves { MCG_LIST_OF(struct saved_file); };
struct mcg_strings { MCG_LIST_OF(char); };

struct mcg_manager;         /* who creates, attaches and deletes (cgroup-manager.h) */

/* One run, by concern.  Each part is written by the files named beside
 * it; the rest read it. */
struct mcg_run {
    /* how the run is to go: the command line's choices (run.c, from
     * mcg_run_opts; systemd.c may make a run supervised) */
    struct {
        int dry_run, verbose;
        int supervised;     /* COMMAND runs in a child, mcgexec stays outside */
        int rm;             /* the groups go at the end (--rm, or the manager's need) */
        const char *root;   /* --root / MCGEXEC_ROOT, NULL for none */
        enum mcg_manager_choice manager_choice;
        const char *slice;  /* where the systemd manager's scope goes (default
                               system.slice; for a user, app.slice, as systemd-run's) */
        int slice_given;    /* --slice was given (not the default) */
        int scope_forced;   /* --scope: a scope of its own, wherever mcgexec runs */
        int stop_signal;    /* what stopping mcgexec's scope sends first, then SIGKILL */
        double stop_grace;  /* after this many seconds (--timeout-signal, --kill-after) */
        char *const *command; /* COMMAND and its arguments (a scope's description) */
    } opt;
    pid_t pid;              /* our pid: the pid COMMAND will have */
    int rootless;           /* not root: only what systemd's user manager delegates */

    /* who makes the groups (manager.c) */
    const struct mcg_manager *manager;
    int placed;             /* the manager's place() ran */

    /* where things are: found once, then mcgexec's position, written only
     * through hierarchy.c's setters (and groupfile.c's mcg_thread_below) */
    struct {
        int discovered;
        enum mcg_layout layout;
        char *v2_mount;     /* the cgroup2 mount on a unified host, else "" */
        int ns_root;        /* v2: the mount's top is not the host's root but a
                               container's cgroup namespace root (it has
                               cgroup.type): the no-internal-processes rule holds */
        struct mcg_hier hier[MCG_NCTRL];
        char *self_leaf;    /* v2: the leaf mcgexec moved itself into, if it had to */
        char *thread_domain; /* v2, deep inside another program's delegation: mcgexec's
                                own cgroup, below which its groups are threaded
                                (groupfile.c); else NULL */
    } pos;

    /* the undo journal: what this run changed, in order (undo.c takes it
     * back; mcg_commit forgets it) */
    struct {
        struct mcg_refs created;  /* dirs this run made */
        struct mcg_moves moved;   /* pids this run attached elsewhere */
        struct mcg_refs enabled;  /* v2 subtree_control entries added (dir, controller) */
        struct mcg_saves saved;   /* thread_domain's files written, with their values before */
        char *domain_group;       /* the group whose memory and io settings went to
                                     thread_domain */
        int stuck;                /* processes did not end after SIGKILL (said):
                                     their groups cannot go, which is not said again */
        int rofs_said;            /* a removal met a read-only cgroup filesystem (said) */
    } journal;

    /* the run's state on disk, for reclaiming after a SIGKILL (runstate.c) */
    struct {
        int fd;             /* the run's file, from its first group; -1 before or none */
        int lock;           /* the state directory's lock, held shared while groups are
                               made and found; -1 once the job is in them */
        int failed;         /* the state could not be kept (said once) */
        int keep;           /* at the end, groups are left: the file stays for reclaiming */
        char *path;         /* the run's file */
    } state;

    /* joining after the policy (join.c) */
    struct {
        struct mcg_refs pending;  /* groups mcgexec joins once the policy returns */
        struct mcg_refs attached; /* supervised: the groups the policy attached mcgexec
                                     to, which COMMAND joins instead */
        const struct group_ref *join[MCG_NCTRL]; /* groups COMMAND joins itself
                                                    (mcg_plan_child_joins) */
    } joins;

    /* a dry run: what it pretends and what it would be refused (run.c,
     * the managers) */
    struct {
        struct mcg_strings pretend;  /* dirs it pretends to have made */
        struct mcg_strings refused; /* places the caller would be refused (each said once) */
        char *offers;       /* the directory whose cgroup.controllers bounds planned
                               groups (the user manager's, found by systemd.c), or NULL */
    } dry;

    /* the systemd manager's own state (systemd.c alone) */
    struct {
        char *own_scope;    /* the scope this run started (absolute dir): it and all
                               below it go with mcgexec's exit */
        int unit_watch;     /* a pidfd of the main process of the service mcgexec left
                               for a scope it cannot be bound to (a system service's
                               job in the user's manager), or -1: the supervisor ends
                               the job when that process ends */
        char *unit_watched; /* that service's name */
        char *user_dir;     /* a user's: the user manager's runtime directory, once found */
        int rm_forced;      /* the groups go when the job ends, as with --rm: they are
                               inside another program's cgroups, which it must be able
                               to remove */
    } systemd;
};

/* ---- run.c: records, paths, files ---- */

/* A run's options and empty records (mcg_run_new: manager.c), and the
 * records freed, the run itself not. */
void mcg_run_init(struct mcg_run *run, const struct mcg_run_opts *o);
void mcg_run_clear(struct mcg_run *run);

void mcg_list_push(struct mcg_list *l, void *item);
void mcg_list_remove(struct mcg_list *l, size_t i);
void mcg_push_ref(struct mcg_refs *l, enum mcg_ctrl c, const char *dir);
void mcg_free_refs(struct mcg_refs *l);
/* Forget `dir` and the groups below it. */
void mcg_drop_refs_within(struct mcg_refs *l, const char *dir);
/* Is `dir` `top` or below it? */
int mcg_path_within(const char *dir, const char *top);
/* Set a path field of the run: "" is a shared empty string, never freed. */
void mcg_set_path(char **field, const char *value);
/* A dry run's pretend groups: is `dir` one, forget `dir` and below. */
int mcg_pretended(struct mcg_run *run, const char *dir);
void mcg_unpretend(struct mcg_run *run, const char *dir);
/* Whole file, trailing newlines removed, malloc'd: -1 with errno */
int mcg_read_file(const char *path, char **out);
/* open, write, close: -1 with errno */
int mcg_write_file(const char *path, const char *value);
/* err (a failed write or mkdir) says, where it is EROFS, that the cgroup
 * filesystem is read-only and what would make it writable; returns r. */
int mcg_explain_rofs(const struct mcg_run *run, int r, struct mcg_error *err);
/* pid into dir/cgroup.procs, logged (a dry run only logs) */
int mcg_put_pid(struct mcg_run *run, const char *dir, const char *pid);
/* The same for a process of controller c's group, with the cpuset retry
 * and the messages the kernel's refusals deserve. */
int mcg_write_pid(struct mcg_run *run, enum mcg_ctrl c, const char *dir, pid_t pid,
                  struct mcg_error *err);

/* ---- hierarchy.c: where things are ---- */

/* Find the hierarchies and where mcgexec is in them (once a run). */
int mcg_discover(struct mcg_run *run, struct mcg_error *err);
/* The hierarchy of controller c, discovering first; an error where the
 * host lacks the controller. */
int mcg_hier_get(struct mcg_run *run, enum mcg_ctrl c, struct mcg_hier **out,
                 struct mcg_error *err);
/* Does `dir` carry systemd's mark of a delegated subtree? */
int mcg_delegated(const char *dir);
/* Is `word` one of the blank-separated words of `text`? */
int mcg_has_word(const char *text, const char *word);
/* Where `pid` is in hierarchy c (relative to the mount), into out. */
int mcg_read_proc_cgroup(const struct mcg_run *run, pid_t pid, enum mcg_ctrl c, char *out,
                         size_t len);
/* mount + "/" + rel; -1 when it does not fit. */
int mcg_join_path(char *out, size_t len, const char *mount, const char *rel);
/* mcgexec's group in hierarchy h, absolute */
int mcg_cur_dir(const struct mcg_hier *h, char *out, size_t len);
/* The hierarchy-relative part of an absolute group directory. */
const char *mcg_rel_of(const struct mcg_hier *h, const char *dir);
/* Group `name`'s directory in h: below h's --root group (base). */
int mcg_group_path(const struct mcg_hier *h, const char *name, char *dir, size_t len,
                   struct mcg_error *err);
/* The run's position, written only through these: mcgexec is now in `dir`
 * of h, and of every controller co-mounted with it; group names resolve
 * below `rel` in every hierarchy (with `moved`, mcgexec is there too:
 * systemd put it in its scope); the job's group in hierarchy c is `dir`
 * (absolute, or relative to the mount). */
void mcg_set_cur(struct mcg_run *run, const struct mcg_hier *h, const char *dir);
void mcg_settle_below(struct mcg_run *run, const char *rel, int moved);
void mcg_note_job(struct mcg_run *run, enum mcg_ctrl c, const char *dir);
/* v2: mcgexec stepped into `leaf`, a group of its own, to enable
 * controllers where it was (the no-internal-processes rule). */
void mcg_set_self_leaf(struct mcg_run *run, const char *leaf);
/* Is mcgexec's place in h its own (where it started, or its leaf), not a
 * group of the job's? */
int mcg_at_own_place(const struct mcg_run *run, const struct mcg_hier *h);

/* ---- groupfile.c: control files by name; groups below another program's cgroup ---- */

/* Is v2 controller `name` one a threaded subtree can have? */
int mcg_v2_threaded(const char *name);
/* Group names below `own` (absolute) make a threaded subtree. */
void mcg_thread_below(struct mcg_run *run, const char *own);
/* The directory that holds `file` of group `dir`: dir, or for a memory or
 * io file of a threaded group, the threaded domain. */
const char *mcg_file_dir(const struct mcg_run *run, const char *dir, const char *file);
/* Group `group` may write `value` to `file` in the threaded domain: one
 * group's, never lifting someone else's value; the value before is
 * journalled. */
int mcg_claim_domain_file(struct mcg_run *run, const char *group, const char *file,
                          const char *value, struct mcg_error *err);
/* The processes in `dir` (cgroup.procs; a threaded group's threads),
 * one id a line, malloc'd */
int mcg_read_members(const char *dir, char **out, struct mcg_error *err);
/* (run.c) forget the saved files, and which group claimed them */
void mcg_free_saved(struct mcg_run *run);

/* ---- undo.c ---- */

/* The system calls the undo walk's steps make; a test may stand in a
 * model of the kernel (tests/unit/test_journal.c).  -1 with errno. */
struct mcg_undo_sys {
    int (*rmdir)(const char *dir);
    int (*write)(const char *path, const char *value);
    int (*exists)(const char *path); /* 1 or 0 */
};
extern struct mcg_undo_sys mcg_undo_sys;
/* SIGKILL to every process in `dir` and below but `spare`, until none is
 * left: how many were signalled. */
int mcg_kill_dir(const char *dir, pid_t spare);
/* rmdir, retried while the group is busy with a process that is ending:
 * -1 with errno past that. */
int mcg_rmdir_patient(const char *dir);
/* The undo walk with system calls only: what the signal guard runs. */
void mcg_undo_for_signal(struct mcg_run *run);

/* ---- runstate.c: the run's state on disk (core/runstate.h) ---- */

/* Before a mkdir of `dir`, which did not exist; after it; a controller
 * enabled in dir's subtree_control; the groups go at the end after all;
 * the run's end (its file removed, unless state.keep). */
void mcg_state_intent(struct mcg_run *run, const char *dir);
void mcg_state_made(struct mcg_run *run, const char *dir);
void mcg_state_enabled(struct mcg_run *run, const char *controller, const char *dir);
void mcg_state_rm(struct mcg_run *run);
void mcg_state_end(struct mcg_run *run);
/* systemd started the run's own scope `unit`, whose cgroup is `dir` (in
 * the user manager whose runtime directory is user_dir, or PID 1's). */
void mcg_state_scope(struct mcg_run *run, const char *unit, const char *dir,
                     const char *user_dir);
/* The run is about to ask for its own scope `unit` (written first, so
 * that a kill before the `scope` line still names it). */
void mcg_state_starting(struct mcg_run *run, const char *unit, const char *user_dir);
/* systemd.c: have the manager stop `unit` (-1 where it cannot be asked);
 * the unit's cgroup, below the manager's root, in out ("" where it has
 * none: not loaded, not running; -1 where the manager cannot be asked). */
int mcg_systemd_stop(const char *unit, const char *user_dir);
int mcg_systemd_unit_cgroup(const char *unit, const char *user_dir, char *out, size_t len);
/* systemd.c: why no user manager answers below `user_dir` ("no SOCKET";
 * where `ask`, a connect refused: "nothing listens on SOCKET"; in why),
 * or 0 where one may. */
int mcg_user_manager_absent(const char *user_dir, int ask, char *why, size_t len);
/* The start time of `pid` (clock ticks since boot): -1 where it is gone. */
int mcg_proc_start(pid_t pid, unsigned long long *start);

/* ---- the managers' own state ---- */

/* systemd.c: its state begun and forgotten (mcg_run_new, mcg_run_free) */
void mcg_systemd_begin(struct mcg_run *run);
void mcg_systemd_forget(struct mcg_run *run);
/* Is `dir` inside the scope this run started?  Systemd removes it, and all
 * below it, once mcgexec (its last process, the job's leftovers killed)
 * exits: what this run changed there needs no undoing, except the job's
 * groups, which --rm removes.  Safe in a signal handler (a comparison of
 * strings). */
int mcg_in_own_scope(const struct mcg_run *run, const char *dir);

/* systemd.c: what systemd says of a unit (mcgexec-systemd unit) */
struct mcg_unit_info {
    int asked;              /* systemd was asked (else the rest is 0) */
    int delegate;           /* Delegate=yes */
    pid_t main_pid, control_pid; /* a service's; 0 for none */
};
/* What the delegation decision learns from the system: systemd's mark on
 * a cgroup, whether the caller may write one (its directory, cgroup.procs
 * and cgroup.subtree_control), what systemd says of a unit; a test stands
 * in fixtures (tests/unit/test_delegation.c). */
struct mcg_systemd_sys {
    int (*marked)(const char *dir);
    int (*writable)(const struct mcg_run *run, const char *dir);
    int (*ask)(struct mcg_run *run, const char *unit, int user, struct mcg_unit_info *ui,
               struct mcg_error *err);
};
extern struct mcg_systemd_sys mcg_systemd_sys;
/* The decision: is cgroup `rel` (relative to the mount) in a subtree systemd delegated?
 * Walking up from it to the cgroup of the unit that holds it: the first
 * with systemd's mark is the delegated cgroup; where none has it, the
 * unit's Delegate property says (systemd before 251 sets no mark).
 * Returns, with the cgroup names resolve below in `root`:
 *  1: the delegated cgroup, found by its mark; 2: by what systemd says;
 *  3: mcgexec's own cgroup, deep inside a delegated subtree that another
 *     program made cgroups in (Slurm's slurmstepd.scope/job_N/.../task_K,
 *     an outer mcgexec's job): that program owns the subtree, and mcgexec
 *     stays where it was put, as --root self (*outer: the delegated cgroup);
 *  4: (a user) a delegated subtree that is not the user's (another
 *     program's, run as root), with that cgroup in *outer: refused;
 *  0: none, with the unit's name in `unit` ("" where no service or scope
 *     holds `rel`) and, for a service, what systemd said of it in *ui;
 * -1 on error. */
int mcg_find_delegation(struct mcg_run *run, const char *rel, char *root, size_t rlen,
                        char *unit, size_t ulen, struct mcg_unit_info *ui, char *outer,
                        size_t olen, struct mcg_error *err);

/* ---- manager.c ---- */

/* What the choice of manager depends on, and the choice: -1 with err (a
 * refusal about the host), else *m and why (for --verbose); 1 where it is
 * the cgroupfs manager for a user who asked for none, whom the caller
 * refuses (no manager delegates a cgroup to them). */
struct mcg_choice_facts {
    int unified;            /* a cgroup v2 host */
    int systemd;            /* systemd runs it (PID 1 of the cgroup namespace) */
    int ns_root, rootless, scope_forced;
    enum mcg_manager_choice asked;
    const char *layout_name;
};
int mcg_choose_manager(const struct mcg_choice_facts *f, const struct mcg_manager **m,
                       const char **why, struct mcg_error *err);
/* The manager's drop_leaf, under the signal guard. */
void mcg_drop_leaf(struct mcg_run *run);

/* Discover the hierarchies and choose the manager, once a run. */
int mcg_discover_and_choose(struct mcg_run *run, struct mcg_error *err);




#endif
