/* The signal guard (guard.c): until COMMAND starts, the signals that
 * would end mcgexec (SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, and the
 * crash signals SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL) undo the run
 * first, then end mcgexec by that signal; mruby's exit(1) on an internal
 * error undoes it too, with status 125.  Signals the caller ignores stay
 * ignored.  What undoing is, is the caller's: a walk that makes system
 * calls only (src/core/undo.c). */
#ifndef MCGEXEC_GUARD_H
#define MCGEXEC_GUARD_H

#include <stddef.h>

/* Guard this process: the handlers call undo(arg), which must be safe in
 * a signal handler; NULL: nothing to undo (a dry run), the signals only
 * end mcgexec.  A child the process forks (IO.popen) undoes nothing. */
void mcg_guard_watch(void (*undo)(void *arg), void *arg);
/* Give the signals back the actions they had before mcg_guard_watch. */
void mcg_guard_end(void);
/* Block them while the run's records change (nests). */
void mcg_guard_hold(void);
void mcg_guard_release(void);
/* `arg` is about to be freed: end the guard if it was handed `arg`. */
void mcg_guard_forget(const void *arg);

/* s appended to dst at `at` (cap bytes in all, NUL-terminated): the new
 * length.  Safe in a signal handler. */
size_t mcg_safe_append(char *dst, size_t at, size_t cap, const char *s);

#endif
