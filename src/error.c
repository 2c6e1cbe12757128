/* Filling the one error type (error.h): a message, and the errno text where
 * a system call failed. */
#include "error.h"

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
