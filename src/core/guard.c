/* The signal guard: from the start of the policy until COMMAND starts,
 * signals and crashes undo the run before they end mcgexec.
 *
 * A policy is arbitrary Ruby: it may loop, sleep or wait, and the user's
 * answer is Ctrl-C or a service manager's SIGTERM.  The default action
 * would kill mcgexec with the groups it created left behind, so until
 * COMMAND starts these signals undo the run from the handler and then end
 * mcgexec by the same signal.  The same goes for the signals of a crash
 * (SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL), sent or real: the handler runs
 * on a stack of its own (a stack overflow leaves none), and mcgexec then
 * dies of that signal, so that a core dump and the shell's message stay as
 * they were.  And mruby's own last resort, exit(1) from mrb_bug(), meets an
 * atexit handler that does the same walk.  The handler may interrupt mruby
 * anywhere, in malloc too, so everything it runs (this file's handler, and
 * the undo walk it is handed: src/core/undo.c) makes system calls only and reads
 * records that are never half-changed: every change to them happens with
 * the signals blocked (mcg_guard_hold).  A crash while they are blocked is
 * the kernel's to end, without the walk. */
#define _GNU_SOURCE
#include "core/guard.h"
#include "base/error.h"
#include "base/values.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the guard undoes, for which process: it knows nothing of a run,
 * only the walk it is handed (NULL: nothing to undo, a dry run). */
static int guarded;
static void (*guard_undo)(void *arg);
static void *guard_arg;
static pid_t guard_owner;

size_t mcg_safe_append(char *dst, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        dst[at++] = *s++;
    dst[at] = '\0';
    return at;
}

static const int guard_signals[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM,
    SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL,
};
#define NGUARD (sizeof(guard_signals) / sizeof(guard_signals[0]))
static struct sigaction guard_saved[NGUARD];
static sigset_t guard_set, guard_old;
static int guard_depth;
/* the handler's own stack: big enough for the walk, which keeps a few
 * PATH_MAX buffers on it */
static char guard_stack[64 * 1024] __attribute__((aligned(16)));

/* Undo the run, if this process is the one that made it (not a child a
 * policy forked through IO.popen, which inherits the handlers until its
 * exec), and say so on stderr unless `quiet`. */
static void undo_from_handler(const char *what, int quiet)
{
    char msg[200];
    size_t n;

    if (!guarded || !guard_undo || getpid() != guard_owner)
        return;
    guard_undo(guard_arg);
    n = mcg_safe_append(msg, 0, sizeof(msg), "mcgexec: ");
    n = mcg_safe_append(msg, n, sizeof(msg), what);
    n = mcg_safe_append(msg, n, sizeof(msg), " before COMMAND started: removed what this run had "
                                     "created; COMMAND not run\n");
    if (!quiet && write(STDERR_FILENO, msg, n) < 0) {
        /* stderr is gone: the exit status still tells */
    }
}

static void guard_handler(int sig)
{
    const char *name = mcg_signal_name(sig);
    undo_from_handler(name ? name : "a signal", sig == SIGPIPE);
    /* Die of the same signal: with the default action back and the signal
     * unblocked, raise() ends the process before it returns.  A fault that
     * was real would also strike again on return. */
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    _exit(128 + sig);
}

/* exit() while the guard is up: mcgexec itself returns from main (and
 * mcg_run_free ends the guard first), so this is mruby's mrb_bug(), which
 * prints "bug: ..." without a newline and calls exit(1).  The run is
 * undone and the status is mcgexec's own failure. */
static void guard_atexit(void)
{
    static const char msg[] = "\nmcgexec: mruby stopped on an internal error (above) before COMMAND "
                              "started: removed what this run had created; COMMAND not run\n";

    if (!guarded || guard_depth > 0 || getpid() != guard_owner)
        return;
    if (guard_undo)
        guard_undo(guard_arg);
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* the exit status still tells */
    }
    _exit(MCG_EXIT_FAILURE);
}

void mcg_guard_watch(void (*undo)(void *arg), void *arg)
{
    struct sigaction sa = { .sa_handler = guard_handler, .sa_flags = SA_ONSTACK };
    static int atexit_done;

    guarded = 1;
    guard_undo = undo;
    guard_arg = arg;
    guard_owner = getpid();
    if (!atexit_done)
        atexit_done = atexit(guard_atexit) == 0;
    stack_t ss = { .ss_sp = guard_stack, .ss_size = sizeof(guard_stack) };
    sigaltstack(&ss, NULL);
    sigemptyset(&guard_set);
    for (size_t i = 0; i < NGUARD; i++)
        sigaddset(&guard_set, guard_signals[i]);
    sa.sa_mask = guard_set;
    for (size_t i = 0; i < NGUARD; i++) {
        sigaction(guard_signals[i], NULL, &guard_saved[i]);
        /* a signal the caller ignores (nohup) stays ignored */
        if (guard_saved[i].sa_handler != SIG_IGN)
            sigaction(guard_signals[i], &sa, NULL);
    }
}

void mcg_guard_end(void)
{
    if (!guarded)
        return;
    for (size_t i = 0; i < NGUARD; i++)
        sigaction(guard_signals[i], &guard_saved[i], NULL);
    guarded = 0;
}

void mcg_guard_hold(void)
{
    if (guarded && guard_depth++ == 0)
        sigprocmask(SIG_BLOCK, &guard_set, &guard_old);
}

void mcg_guard_release(void)
{
    if (guard_depth > 0 && --guard_depth == 0)
        sigprocmask(SIG_SETMASK, &guard_old, NULL);
}

void mcg_guard_forget(const void *arg)
{
    if (guarded && guard_arg == arg)
        mcg_guard_end();
}

