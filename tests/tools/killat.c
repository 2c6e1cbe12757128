/* Kill a command by SIGKILL at a uniformly random instant of its life,
 * and say where in its life that was: the reclaim tests' hand.
 *
 *   killat MAX_US STATE_DIR COMMAND [ARG...]
 *
 * Starts COMMAND (mcgexec), waits a random time in [0, MAX_US)
 * microseconds, stops it with SIGSTOP (the stop lands at its next return
 * to user space, so what it was doing is over: a system call, an exec),
 * looks at it, then kills it with SIGKILL and reaps it.  Prints one line:
 *
 *   PID exited STATUS     it ended before the instant came
 *   PID mcgexec STATE     killed as mcgexec; STATE: what its state file
 *                         was then: run (groups it may have made, named),
 *                         exec (about to exec COMMAND in place), none
 *   PID command STATE     killed after it had exec'd COMMAND in place
 *   PID life US           MAX_US 0: not killed; how long it lived
 *
 * It returns once COMMAND is dead and reaped (its output goes to
 * /dev/null).  The random source is /dev/urandom; nothing here is timed
 * but the wait itself, whose length is the point. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *state_of(const char *dir, pid_t pid)
{
    char prefix[32];
    const char *state = "none";
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = snprintf(prefix, sizeof(prefix), "%d-", (int)pid);

    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, prefix, (size_t)n) == 0) {
            const char *dot = strrchr(e->d_name, '.');
            state = dot && strcmp(dot, ".exec") == 0 ? "exec" : "run";
        }
    if (d)
        closedir(d);
    return state;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: killat MAX_US STATE_DIR COMMAND [ARG...]\n");
        return 2;
    }
    unsigned long long max_us = strtoull(argv[1], NULL, 10), r = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, &r, sizeof(r)) != sizeof(r)) {
        perror("killat: /dev/urandom");
        return 2;
    }
    close(fd);
    unsigned long long wait_ns = max_us ? (r % max_us) * 1000ULL + (r >> 40) % 1000ULL : 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    char target[PATH_MAX];
    if (!realpath(argv[3], target))
        snprintf(target, sizeof(target), "%s", argv[3]);

    pid_t pid = fork();
    if (pid < 0) {
        perror("killat: fork");
        return 2;
    }
    if (pid == 0) {
        /* (its output is not ours: a job's leftover process would hold
         * our caller's pipe open) */
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
            close(null);
        }
        execv(argv[3], &argv[3]);
        perror("killat: exec");
        _exit(127);
    }
    if (max_us == 0) {
        /* its life, measured the way the kills count it */
        int st;
        waitpid(pid, &st, 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("%d life %lld\n", (int)pid,
               (long long)(t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000);
        return 0;
    }
    struct timespec ts = { (time_t)(wait_ns / 1000000000ULL), (long)(wait_ns % 1000000000ULL) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    int status;
    kill(pid, SIGSTOP);
    if (waitpid(pid, &status, WUNTRACED) < 0) {
        perror("killat: waitpid");
        return 2;
    }
    if (!WIFSTOPPED(status)) {
        printf("%d exited %d\n", (int)pid,
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return 0;
    }
    char exe[PATH_MAX], link[64];
    snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *state = state_of(argv[2], pid);
    /* (still killat's own program: stopped before its exec of COMMAND,
     * the very start of mcgexec's life) */
    char self[PATH_MAX];
    ssize_t sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[sn > 0 ? sn : 0] = '\0';
    int as_mcgexec = strcmp(exe, target) == 0 || strcmp(exe, self) == 0;
    printf("%d %s %s\n", (int)pid, as_mcgexec ? "mcgexec" : "command", state);
    fflush(stdout);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return 0;
}
