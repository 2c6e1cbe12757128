/* The policy: an mruby VM with the Cgroup classes (the mruby-cgroup API),
 * the concise `group` form, ENV and ARGV, running one policy script. */
#ifndef MCGEXEC_POLICY_H
#define MCGEXEC_POLICY_H

#include <stddef.h>

#include "core/run.h"
#include "base/error.h"

struct mrb_state;

/* `filename` names the policy in messages ("web.rb", "-e"); `command` is
 * the NULL-terminated argv the policy sees as ARGV. */
struct mrb_state *mcg_policy_open(struct mcg_run *run, const char *filename,
                                  char *const *command, struct mcg_error *err);

/* Run the policy (Ruby source, or RITE bytecode from mrbc).  On failure
 * err->msg is the whole message, "FILE:LINE: ..." where a line is known. */
int mcg_policy_run(struct mrb_state *mrb, const char *code, size_t len, struct mcg_error *err);

void mcg_policy_close(struct mrb_state *mrb);

#endif
