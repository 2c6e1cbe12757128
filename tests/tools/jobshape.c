/* A job of known shape for the --record tests: steps run in order,
 *
 *   sleep S     sleep S seconds
 *   hold M S    allocate M MiB (touched: anonymous memory; "held" once
 *               it all is), hold it S seconds, free it ("freed")
 *   spin S      use S seconds of one CPU (its own CPU time, not the wall
 *               clock: a busy machine only stretches it)
 *   grow M      allocate M MiB and keep it (an OOM kill ends the job)
 *
 * each one announced on stdout with the time since the start, so that a
 * test can hold the record's times to them. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static struct timespec t0;

static double since(clockid_t clock, const struct timespec *from)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)(t.tv_sec - from->tv_sec) + (double)(t.tv_nsec - from->tv_nsec) / 1e9;
}

static void say(const char *what, double arg)
{
    printf("%.3f %s %g\n", since(CLOCK_MONOTONIC, &t0), what, arg);
    fflush(stdout);
}

static void nap(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static char *take(double mib)
{
    size_t n = (size_t)(mib * 1024 * 1024);
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("jobshape: mmap");
        exit(2);
    }
    for (size_t i = 0; i < n; i += 4096)
        p[i] = 1;
    return p;
}

int main(int argc, char **argv)
{
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1; i < argc; i++) {
        double a = i + 1 < argc ? atof(argv[i + 1]) : 0;
        if (strcmp(argv[i], "sleep") == 0 && i + 1 < argc) {
            say("sleep", a);
            nap(a);
            i++;
        } else if (strcmp(argv[i], "hold") == 0 && i + 2 < argc) {
            say("hold", a);
            char *p = take(a);
            say("held", a); /* (all of it touched: on a busy machine, a while later) */
            nap(atof(argv[i + 2]));
            munmap(p, (size_t)(a * 1024 * 1024));
            say("freed", a);
            i += 2;
        } else if (strcmp(argv[i], "spin") == 0 && i + 1 < argc) {
            struct timespec c0;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
            say("spin", a);
            while (since(CLOCK_PROCESS_CPUTIME_ID, &c0) < a) {
            }
            i++;
        } else if (strcmp(argv[i], "grow") == 0 && i + 1 < argc) {
            say("grow", a);
            take(a);
            i++;
        } else {
            fprintf(stderr, "jobshape: what is '%s'?\n", argv[i]);
            return 2;
        }
    }
    say("end", 0);
    return 0;
}
