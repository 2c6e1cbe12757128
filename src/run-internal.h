/* What the parts behind run.h share, and nothing else sees: the records
 * of the undo journal and the helpers the parts use on each other's behalf
 * (run.c, hierarchy.c, cgroupfs.c, join.c, undo.c). */
#ifndef MCGEXEC_RUN_INTERNAL_H
#define MCGEXEC_RUN_INTERNAL_H

#include "run.h"

/* A group this run created (`gone` once the undo walk removed it), or one
 * whose subtree_control it changed. */
struct group_ref { enum mcg_ctrl ctrl; char *dir; int gone; };
/* A process this run moved, and the group it came from; with_self: it
 * went with mcgexec into its leaf, and goes back with it. */
struct moved { enum mcg_ctrl ctrl; pid_t pid; char *from; /* absolute dir */ int with_self; };

/* A file of run->thread_domain this run wrote, and its value before. */
struct saved_file { char *file; char *value; };

/* ---- run.c: records, paths, files ---- */

void mcg_list_push(struct mcg_list *l, void *item);
void mcg_list_remove(struct mcg_list *l, size_t i);
void mcg_push_ref(struct mcg_list *l, enum mcg_ctrl c, const char *dir);
void mcg_free_refs(struct mcg_list *l);
/* Forget `dir` and the groups below it. */
void mcg_drop_refs_within(struct mcg_list *l, const char *dir);
/* Is `dir` `top` or below it? */
int mcg_path_within(const char *dir, const char *top);
/* Set a path field of the run: "" is a shared empty string, never freed. */
void mcg_set_path(char **field, const char *value);
/* A dry run's pretend groups: is `dir` one, forget `dir` and below. */
int mcg_planned(struct mcg_run *run, const char *dir);
void mcg_unplan(struct mcg_run *run, const char *dir);
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
/* The undo walk with system calls only: what the signal guard runs. */
void mcg_undo_for_signal(struct mcg_run *run);

/* ---- manager.c ---- */

/* Discover the hierarchies and choose the manager, once a run. */
int mcg_ready(struct mcg_run *run, struct mcg_error *err);




#endif
