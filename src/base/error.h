/* One error type, filled where the failure is known and printed once, as
 * "mcgexec: [FILE:LINE: ]MESSAGE", by the one that gives up: main() before
 * COMMAND's process starts, the supervisor (src/supervisor/supervise.c) once it has;
 * always through mcg_print_error. */
#ifndef MCGEXEC_ERROR_H
#define MCGEXEC_ERROR_H

#include <stdarg.h>

/* Exit statuses (as env(1), chroot(1), timeout(1)). */
enum {
    MCG_EXIT_FAILURE = 125,   /* mcgexec or the policy failed; COMMAND not run */
    MCG_EXIT_CANNOT_RUN = 126,/* COMMAND found but not executable */
    MCG_EXIT_NOT_FOUND = 127, /* COMMAND not found */
};

struct mcg_error {
    int errnum;      /* errno of the failing call, 0 if none */
    int about_host;  /* a fact about the host, not a policy line: no FILE:LINE */
    char msg[1024];
};

/* Set err->msg from a format; returns -1 so callers can `return mcg_fail(...)`. */
int mcg_fail(struct mcg_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(errnum)". */
int mcg_fail_errno(struct mcg_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The one place an error reaches the user, on stderr: "mcgexec: MESSAGE". */
void mcg_print_error(const struct mcg_error *err);
/* An error known where it is printed (the command line's): fills one and
 * prints it through mcg_print_error. */
void mcg_error_now(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The one place a warning reaches the user: "mcgexec: warning: MESSAGE"
 * (something left that mcgexec could not undo; the run goes on). */
void mcg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
