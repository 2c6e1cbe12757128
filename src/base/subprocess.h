/* Running a helper program and reading its answer (subprocess.c): what
 * mcgexec-systemd (src/core/systemd.c) and getent(1) (src/base/userdb.c) are asked
 * through. */
#ifndef MCGEXEC_SUBPROCESS_H
#define MCGEXEC_SUBPROCESS_H

#include <stddef.h>

/* Run argv[0] (a path) with argv and envp, standard input /dev/null, its
 * standard output (and, with `with_stderr`, its standard error; else
 * /dev/null) read into out: the first line, NUL-terminated, at most len - 1
 * bytes.  0 when it exited 0; -1 otherwise, with out what it said, or why
 * it could not run or how it ended when it said nothing. */
int mcg_spawn_read(char *const argv[], char *const envp[], int with_stderr, char *out,
                   size_t len);

#endif
