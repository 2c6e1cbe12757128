/* The floor for the start-up benchmark: only the cgroupfs work that the
 * benchmark's mcgexec policy asks for, with nothing around it.
 *
 *   floor [mkdir DIR]... [write FILE VALUE]... [attach PROCS]... [rmdir DIR]...
 *         -- COMMAND [ARG...]
 *
 * mkdir and write happen in order.  Without rmdir the floor attaches itself
 * and execs COMMAND in place.  With rmdir (the --rm case) it forks: the
 * child attaches itself and execs COMMAND, the parent waits, then removes
 * the directories, deepest last given first.
 *
 * Built with FLOOR_MRUBY (bench_floor_mruby), it first opens mruby's core,
 * mrb_open_core(), as mcgexec must, and leaves it to the exec: the floor of
 * any tool that runs a policy in the same libmruby.a as mcgexec.  With
 * FLOOR_MRUBY_GEMS as well (bench_floor_gems) it opens the VM with every
 * gem mruby_config.rb lists, mrb_open(): the gems' share of mcgexec's
 * start, measured apart from mcgexec's own work. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef FLOOR_MRUBY
#include <mruby.h>
#endif

static int put(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, value, strlen(value)) < 0) {
        perror(path);
        return -1;
    }
    close(fd);
    return 0;
}

static int attach_all(int argc, char **argv)
{
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "attach") == 0 && put(argv[++i], pid) < 0)
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1, nrm = 0;
    char *rm[64];
#if defined(FLOOR_MRUBY_GEMS)
    if (!mrb_open())
        return 125;
#elif defined(FLOOR_MRUBY)
    if (!mrb_open_core(mrb_default_allocf, NULL))
        return 125;
#endif

    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "mkdir") == 0 && i + 1 < argc) {
            if (mkdir(argv[++i], 0755) < 0) {
                perror(argv[i]);
                return 125;
            }
        } else if (strcmp(argv[i], "write") == 0 && i + 2 < argc) {
            if (put(argv[i + 1], argv[i + 2]) < 0)
                return 125;
            i += 2;
        } else if (strcmp(argv[i], "attach") == 0 && i + 1 < argc) {
            i++;
        } else if (strcmp(argv[i], "rmdir") == 0 && i + 1 < argc && nrm < 64) {
            rm[nrm++] = argv[++i];
        } else {
            fprintf(stderr, "floor: bad argument %s\n", argv[i]);
            return 125;
        }
    }
    if (i + 1 >= argc)
        return 125;
    if (nrm == 0) {
        if (attach_all(argc, argv) < 0)
            return 125;
        execvp(argv[i + 1], &argv[i + 1]);
        return 127;
    }
    pid_t c = fork();
    if (c == 0) {
        if (attach_all(argc, argv) < 0)
            _exit(125);
        execvp(argv[i + 1], &argv[i + 1]);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
    for (int k = 0; k < nrm; k++)
        if (rmdir(rm[k]) < 0)
            perror(rm[k]);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
