#define _GNU_SOURCE
/* libFuzzer target: policy evaluation in dry-run mode, the way
 * `mcgexec --dry-run POLICY` runs it: open the VM with the Cgroup API,
 * evaluate the input as a policy (source or RITE bytecode), plan the joins,
 * roll back, close.  A dry run changes nothing on the host.
 *
 * Two limits keep runs bounded and harmless, because the fuzzer writes
 * arbitrary Ruby: IO and File lose their methods before the input runs
 * (no files written, no commands started, no descriptors of the fuzzer
 * closed), and inputs that could loop or recurse without end are skipped
 * (mruby 3.1 has no way to interrupt a running VM).  RITE bytecode is
 * skipped: mcgexec runs only bytecode from files root controls, and
 * mruby's loader is not built for hostile input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/compile.h>

#include "cgroupfs.h"
#include "policy.h"

static const char *const unbounded[] = {
    "loop", "while", "until", "for", "redo", "retry", "times", "upto", "downto", "step",
    "each", "map", "select", "reject", "inject", "reduce", "sum", "sort", "cycle", "fill",
    "def", "lambda", "proc", "->", "Proc", "Fiber", "Enumerator", "method", "send", "eval",
    "instance_exec", "class_exec", "module_exec", "*", "<<", "dup", "clone", "ObjectSpace",
    "sleep", "`", "%x", "rand", "Random", "new(", "pack", "%", "ljust", "rjust", "center",
};

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
    struct mcg_run run;

    if (size > 8192)
        return 0;
    if ((size >= 4 && memcmp(data, "RITE", 4) == 0) || !bounded((const char *)data, size))
        return 0;

    mcg_run_init(&run, 1, 0, NULL);
    mrb_state *mrb = mcg_policy_open(&run, "fuzz.rb", command, &err);
    if (mrb) {
        mrb_load_string(mrb, prelude);
        if (mrb->exc)
            abort(); /* the prelude itself must work */
        if (mcg_policy_run(mrb, (const char *)data, size, &err) == 0)
            mcg_join_pending(&run, &err);
    }
    mcg_policy_close(mrb);
    mcg_rollback(&run);
    mcg_run_free(&run);
    return 0;
}
