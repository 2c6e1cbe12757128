/* The policy: an mruby VM with the Cgroup classes (the mruby-cgroup API),
 * the concise `group` form, ENV and ARGV, running one policy script. */
#ifndef MCGEXEC_POLICY_H
#define MCGEXEC_POLICY_H

#include <stddef.h>

#include "cgroupfs.h"
#include "error.h"

struct mrb_state;

/* `filename` names the policy in messages ("web.rb", "-e"); `command` is
 * the NULL-terminated argv the policy sees as ARGV. */
struct mrb_state *mcg_policy_open(struct mcg_run *run, const char *filename,
                                  char *const *command, struct mcg_error *err);

/* Run the policy (Ruby source, or RITE bytecode from mrbc).  On failure
 * err->msg is the whole message, "FILE:LINE: ..." where a line is known. */
int mcg_policy_run(struct mrb_state *mrb, const char *code, size_t len, struct mcg_error *err);

void mcg_policy_close(struct mrb_state *mrb);

/* Right before COMMAND replaces mcgexec: may the VM be left to the exec,
 * which frees its memory faster than mrb_close() would?  Only if it holds
 * nothing COMMAND must not inherit: files the policy opened, which only
 * mruby's gems can open, so a VM that never loaded them. */
int mcg_policy_can_leave_to_exec(struct mrb_state *mrb);

/* Nonzero: mcg_policy_open() loads mruby's gems at once, before the API,
 * as mrb_open() would, instead of on first use.  For the tests, which hold
 * the two to the same result (tests/unit/test_gems.c). */
extern int mcg_policy_gems_eager;

#endif
