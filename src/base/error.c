/* Filling the one error type (error.h): a message, and the errno text where
 * a system call failed; and printing it, or a warning. */
#include "base/error.h"

#include <stdio.h>
#include <string.h>

int mcg_fail(struct mcg_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->errnum = 0;
    err->about_host = 0;
    return -1;
}

int mcg_fail_errno(struct mcg_error *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    n = strlen(err->msg);
    snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
    err->errnum = errnum;
    err->about_host = 0;
    return -1;
}

void mcg_print_error(const struct mcg_error *err)
{
    fprintf(stderr, "mcgexec: %s\n", err->msg);
}

void mcg_error_now(const char *fmt, ...)
{
    struct mcg_error err = { 0 };
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
    va_end(ap);
    mcg_print_error(&err);
}

void mcg_warn(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "mcgexec: warning: %s\n", msg);
}
