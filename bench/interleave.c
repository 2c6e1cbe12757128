/* The start-up benchmark's timer (scripts/bench.sh): runs several commands
 * in rounds, each round every command once, so that drift of the machine
 * (here: a 2-CPU VM whose speed changes by 20% from minute to minute) falls
 * on all cases alike.  hyperfine runs a case's launches back to back, and
 * its cases drifted apart by more than the differences measured.
 *
 * Each round runs the commands in an order of its own (shuffled, with a
 * fixed seed): what one launch leaves the kernel or a service manager to
 * finish after it exits falls on whichever launch comes next, and in a
 * fixed cyclic order that was always the same neighbour.  In the systemd
 * guest (scripts/bench-systemd.sh) one case took 406 ms after its fixed
 * neighbour and 232 ms where it came first.  --pause waits that long after
 * every launch, untimed, for what a launch leaves behind to be done before
 * the next starts (there: a scope's teardown).
 *
 *   interleave [--pause SECONDS] RUNS WARMUP CMD [ARG...] [';;' CMD [ARG...]]...
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

    struct timespec pause = { 0, 0 };
    if (argc > 2 && strcmp(argv[1], "--pause") == 0) {
        double p = atof(argv[2]);
        pause.tv_sec = (time_t)p;
        pause.tv_nsec = (long)((p - (double)pause.tv_sec) * 1e9);
        argv += 2;
        argc -= 2;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: interleave [--pause SECONDS] RUNS WARMUP CMD [ARG...] "
                        "[';;' CMD [ARG...]]...\n");
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

    int order[MAXCMDS];
    for (int c = 0; c < n; c++)
        order[c] = c;
    srand(1);
    for (int round = -warmup; round < runs; round++) {
        for (int k = n - 1; k > 0; k--) { /* Fisher-Yates */
            int j = rand() % (k + 1), x = order[k];
            order[k] = order[j];
            order[j] = x;
        }
        for (int k = 0; k < n; k++) {
            int c = order[k];
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
            if (pause.tv_sec || pause.tv_nsec)
                nanosleep(&pause, NULL);
        }
    }
    for (int c = 0; c < n; c++) {
        qsort(t[c], (size_t)runs, sizeof(double), cmp);
        printf("%.3f %.3f %.3f\n", t[c][runs / 2], t[c][runs / 4], t[c][3 * runs / 4]);
    }
    return 0;
}
