/* What the two halves of the policy API share: policy.c (the VM's life,
 * module Mcgexec) and cgroup_class.c (module Cgroup and its classes). */
#ifndef MCGEXEC_POLICY_INTERNAL_H
#define MCGEXEC_POLICY_INTERNAL_H

#include <mruby.h>

#include "error.h"
#include "run.h"

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
    struct mcg_unwritten *unwritten; /* values set and not yet written */
    size_t nunwritten, capunwritten;
};

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
/* After the policy: a value it set that never reached the kernel (set
 * after create without modify, or on a group it never created) is an
 * error naming the first, by line; 0 when every value was written. */
int mcg_check_unwritten(mrb_state *mrb, struct mcg_error *err);
/* Free the records of values not yet written. */
void mcg_free_unwritten(struct policy_state *st);

/* Mcgexec::CONTROLLERS and Mcgexec::CONCISE, the tables the concise form
 * (src/mrblib/group.rb) reads. */
void mcg_define_concise(mrb_state *mrb, struct policy_state *st, struct RClass *mcgexec);

#endif
