/* Running a helper program and reading its answer (subprocess.h).  posix_spawn,
 * not fork: the caller may be a large mruby process, and a static one. */
#define _GNU_SOURCE
#include "base/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int mcg_spawn_read(char *const argv[], char *const envp[], int with_stderr, char *out,
                   size_t len)
{
    posix_spawn_file_actions_t fa;
    int fds[2], status = 0, r;
    pid_t pid;

    out[0] = '\0';
    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(out, len, "pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    if (with_stderr)
        posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    r = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (r != 0) {
        close(fds[0]);
        snprintf(out, len, "cannot run %s: %s", argv[0], strerror(r));
        return -1;
    }
    size_t got = 0;
    ssize_t n;
    while (got < len - 1 && ((n = read(fds[0], out + got, len - 1 - got)) > 0 ||
                             (n < 0 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    out[got] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    out[strcspn(out, "\n")] = '\0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (!out[0])
        snprintf(out, len, "%s failed (status %d)", argv[0], status);
    return -1;
}
