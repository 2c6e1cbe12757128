/* The start-up benchmark's timer (scripts/bench.sh): runs several commands
 * in rounds, each round every command once (the starting one rotating), so
 * that drift of the machine (here: a 2-CPU VM whose speed changes by 20%
 * from minute to minute) falls on all cases alike.  hyperfine runs a case's
 * launches back to back, and its cases drifted apart by more than the
 * differences measured.
 *
 *   interleave RUNS WARMUP CMD [ARG...] [';;' CMD [ARG...]]...
 *
 * Each launch is fork, exec, wait, timed with CLOCK_MONOTONIC; stdout goes
 * to /dev/null; a failed launch fails the benchmark.  Prints one line per
 * command: median, first and third quartile, in ms. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCMDS 32

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    char **cmds[MAXCMDS];
    int n = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: interleave RUNS WARMUP CMD [ARG...] [';;' CMD [ARG...]]...\n");
        return 2;
    }
    int runs = atoi(argv[1]), warmup = atoi(argv[2]);
    cmds[n++] = &argv[3];
    for (int i = 3; i < argc; i++)
        if (strcmp(argv[i], ";;") == 0 && n < MAXCMDS) {
            argv[i] = NULL;
            cmds[n++] = &argv[i + 1];
        }
    double *t[MAXCMDS];
    for (int c = 0; c < n; c++)
        if (!(t[c] = malloc(sizeof(double) * (size_t)runs)))
            return 2;
    int null = open("/dev/null", O_WRONLY);

    for (int round = -warmup; round < runs; round++) {
        for (int k = 0; k < n; k++) {
            int c = (k + (round < 0 ? 0 : round)) % n;
            double start = now_ms();
            pid_t pid = fork();
            if (pid == 0) {
                dup2(null, STDOUT_FILENO);
                execv(cmds[c][0], cmds[c]);
                _exit(127);
            }
            int st;
            if (pid < 0 || waitpid(pid, &st, 0) < 0)
                return 2;
            double ms = now_ms() - start;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "interleave: %s failed (status %d)\n", cmds[c][0], st);
                return 1;
            }
            if (round >= 0)
                t[c][round] = ms;
        }
    }
    for (int c = 0; c < n; c++) {
        qsort(t[c], (size_t)runs, sizeof(double), cmp);
        printf("%.3f %.3f %.3f\n", t[c][runs / 2], t[c][runs / 4], t[c][3 * runs / 4]);
    }
    return 0;
}
