#define _GNU_SOURCE
/* libFuzzer target: policy evaluation in dry-run mode, the way
 * `mcgexec --dry-run POLICY` runs it: open the VM with the Cgroup API and
 * every gem mruby_config.rb lists (all defined at once, where mcgexec
 * defines some only for a policy that names them), evaluate the input as a policy (source
 * or RITE bytecode), plan the joins, roll back, close.  A dry run changes
 * nothing on the host.
 *
 * Three limits keep runs bounded and harmless, because the fuzzer writes
 * arbitrary Ruby: IO and File lose their methods before the input runs (no
 * files written, no commands started, no descriptors of the fuzzer
 * closed); a run may execute at most BUDGET VM instructions (mruby's debug
 * hook, built into this target's mruby: mruby 3.1 has no other way to
 * interrupt a running VM), after which every instruction raises, so that
 * no rescue can go on; and the
 * few inputs whose work happens in C and could outlast the fuzzer's
 * timeout without executing instructions (sleep, sorting huge arrays) are
 * skipped.  Large allocations fail as they would for mcgexec under a
 * memory limit (scripts/check.sh: ASan's max_allocation_size_mb), and
 * mruby raises NoMemoryError.  RITE bytecode is skipped: mcgexec runs only
 * bytecode from files root controls, and mruby's loader is not built for
 * hostile input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/compile.h>

#include "core/run.h"
#include "policy/gems.h"
#include "policy/policy.h"

#ifndef MRB_USE_DEBUG_HOOK
#error "fuzz_policy needs an mruby built with MRB_USE_DEBUG_HOOK (CMake does that with MCGEXEC_FUZZ)"
#endif

#define BUDGET 20000000L

static const char *const unbounded[] = {
    "sleep", "sort", "`", "%x", "ObjectSpace", "eval",
};

static long executed;

static void count(struct mrb_state *mrb, const struct mrb_irep *irep, const mrb_code *pc,
                  mrb_value *regs)
{
    (void)irep;
    (void)regs;
    if (++executed > BUDGET) {
        /* The VM looks for a handler from the place its frame last saved
         * (ci->pc, saved at calls), not from the instruction it was about
         * to run.  Raised from a rescue clause, the exception would be
         * placed back inside the begin that clause belongs to, and the
         * clause entered again, forever: `loop { }` did that (Kernel#loop
         * rescues StopIteration).  The instruction's own place makes each
         * raise leave the clause, and the frame, as a raise there would. */
        mrb->c->ci->pc = pc;
        mrb_raise(mrb, E_RUNTIME_ERROR, "fuzz_policy: instruction budget used up");
    }
}

/* what the input may not reach */
static const char prelude[] =
    "[IO, File].each do |k|\n"
    "  k.singleton_class.instance_methods(false).each { |m| k.singleton_class.send(:undef_method, m) }\n"
    "  k.instance_methods(false).each { |m| k.send(:undef_method, m) }\n"
    "end\n"
    "class IO; undef_method :initialize rescue nil; end\n"
    "module Kernel; [:open, :`, :system, :exec, :spawn, :fork, :exit, :exit!, :abort]"
    ".each { |m| undef_method(m) rescue nil }; end\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* the dry-run plan goes to stdout: keep the fuzzer's output readable */
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    return 0;
}

static int bounded(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(unbounded) / sizeof(unbounded[0]); i++)
        if (memmem(s, len, unbounded[i], strlen(unbounded[i])))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *const command[] = { "true", NULL };
    struct mcg_error err = { 0 };
    struct mcg_run *run;

    if (size > 8192)
        return 0;
    if ((size >= 4 && memcmp(data, "RITE", 4) == 0) || !bounded((const char *)data, size))
        return 0;

    run = mcg_run_new(&(struct mcg_run_opts){ .dry_run = 1 });
    mrb_state *mrb = mcg_policy_open(run, "fuzz.rb", command, &err);
    if (mrb) {
        executed = 0;
        mrb->code_fetch_hook = count;
        /* every gem, those a policy must name to use too (src/policy/gems.c),
         * before the prelude takes IO and File's methods away */
        mcg_gems_load(mrb, (1u << mcg_ndeferred) - 1);
        mrb_load_string(mrb, prelude);
        if (mrb->exc)
            abort(); /* the prelude itself must work */
        if (mcg_policy_run(mrb, (const char *)data, size, &err) == 0)
            mcg_join_pending(run, &err);
    }
    mcg_policy_close(mrb);
    mcg_rollback(run);
    mcg_run_free(run);
    return 0;
}
