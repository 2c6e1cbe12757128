/* Allocations that cannot fail: mcgexec is a short-lived tool, and out of
 * memory before COMMAND runs there is nothing sensible left to do but stop
 * (abort: the signal guard still removes what this run created). */
#ifndef MCGEXEC_XALLOC_H
#define MCGEXEC_XALLOC_H

#include <stdlib.h>
#include <string.h>

static inline char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        abort();
    return p;
}

#endif
