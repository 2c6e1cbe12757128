/* What the parts of the policy API share: policy.c (the VM's life, module
 * Mcgexec), cgroup_class.c (module Cgroup and its classes), unwritten.c
 * (values not yet written) and policystate.c (the state, lines, errors). */
#ifndef MCGEXEC_POLICY_INTERNAL_H
#define MCGEXEC_POLICY_INTERNAL_H

#include <mruby.h>

#include "base/error.h"
#include "core/run.h"

/* A value the policy set that no create or modify has written yet
 * (cgroup_class.c). */
struct mcg_unwritten {
    char *dir, *file, *value, *shown;
    enum mcg_ctrl ctrl;
    int line;
};

struct policy_state {
    struct mcg_run *run;
    const char *filename;      /* the policy's name in messages; NULL: any file */
    struct RClass *classes[MCG_NCTRL];
    struct RClass *error_class;
    struct mcg_run *own_run;   /* the gem in another mruby: its own, freed with the VM */
    int group_loaded;          /* the concise form's machinery is there (Mcgexec.load_group) */
    struct mcg_unwritten *unwritten; /* values set and not yet written */
    size_t nunwritten, capunwritten;
};

/* The VM's state (policystate.c): set once when the API is defined, freed
 * with the VM. */
void mcg_state_set(mrb_state *mrb, struct policy_state *st);
struct policy_state *mcg_state_of(mrb_state *mrb);

/* The line of the policy file being run (-1 where none is). */
int mcg_policy_line(mrb_state *mrb);

/* Raise Cgroup::Error with the String msg.  line > 0: report that line;
 * -1: the line the backtrace shows; 0: no location (a fact about the
 * host, not the policy). */
mrb_noreturn void mcg_raise_at(mrb_state *mrb, int line, mrb_value msg);
/* The same with err's message, located unless err is about the host. */
mrb_noreturn void mcg_raise_err(mrb_state *mrb, const struct mcg_error *err);

/* Module Cgroup, Cgroup::Error, the six classes and their accessors
 * (from the settings table), into st. */
void mcg_define_cgroup(mrb_state *mrb, struct policy_state *st);
/* Values set and not yet written (unwritten.c), by group directory and
 * file: the latest value staged for one is noted (e, of a group of
 * controller ctrl); a write of that value forgets it; a group deleted
 * takes its notes along. */
struct mcg_staged;
void mcg_note_unwritten(struct policy_state *st, enum mcg_ctrl ctrl, const char *dir,
                        const struct mcg_staged *e);
void mcg_forget_written(struct policy_state *st, const char *dir, const struct mcg_staged *staged,
                        size_t n);
void mcg_forget_dir(struct policy_state *st, const char *dir);
/* After the policy: a value it set that never reached the kernel (set
 * after create without modify, or on a group it never created) is an
 * error naming the first, by line; 0 when every value was written. */
int mcg_check_unwritten(struct policy_state *st, struct mcg_error *err);
/* Free the records of values not yet written. */
void mcg_free_unwritten(struct policy_state *st);

/* Mcgexec::CONTROLLERS and Mcgexec::CONCISE, the tables the concise form
 * (src/policy/mrblib/group.rb) reads. */
void mcg_define_concise(mrb_state *mrb, struct policy_state *st, struct RClass *mcgexec);

#endif
