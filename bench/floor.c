/* The floor for the start-up benchmark: only the cgroupfs work that the
 * benchmark's mcgexec policy asks for, with nothing around it.
 *
 *   floor [mkdir DIR]... [read FILE]... [write FILE VALUE]... [attach PROCS]...
 *         [rmdir DIR]... -- COMMAND [ARG...]
 *
 * mkdir, read and write happen in order; read reads FILE whole and keeps
 * nothing.  Without rmdir the floor attaches itself and execs COMMAND in
 * place.  With rmdir (the --rm case) it forks: the child attaches itself
 * and execs COMMAND, the parent waits, then removes the directories,
 * deepest last given first.
 *
 * Built with FLOOR_MRUBY (bench_floor_mruby), it first opens mruby's core,
 * mrb_open_core(), as mcgexec must, and leaves it to the exec: the floor of
 * any tool that runs a policy in the same libmruby.a as mcgexec.  With
 * FLOOR_MRUBY_GEMS as well (bench_floor_gems) it opens the VM with every
 * gem mruby_config.rb lists, mrb_open(): the gems' share of mcgexec's
 * start, measured apart from mcgexec's own work.  That build also takes
 *
 *   compile FILE    read FILE and compile it (Ruby source; mrbc bytecode
 *                   is loaded), without running it
 *
 * so that, with `read /proc/self/mountinfo read /proc/self/cgroup`, it does
 * the least any tool must that runs FILE as a policy in this mruby and
 * finds its groups: the floor under every design of mcgexec. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef FLOOR_MRUBY
#include <mruby.h>
#include <mruby/compile.h>
#include <mruby/irep.h>
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

/* FILE whole, into a buffer of *len bytes (NUL-terminated); NULL on error */
static char *slurp(const char *path, size_t *len)
{
    static char buf[1 << 16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = 0;
    size_t n = 0;

    while (fd >= 0 && n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
        n += (size_t)r;
    if (fd < 0 || r < 0) {
        perror(path);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

#ifdef FLOOR_MRUBY_GEMS
/* Compile (or load) the policy in FILE without running it. */
static int compile(mrb_state *mrb, const char *path)
{
    size_t len;
    char *code = slurp(path, &len);
    if (!code)
        return -1;
    mrbc_context *cxt = mrbc_context_new(mrb);
    mrbc_filename(mrb, cxt, path);
    cxt->no_exec = TRUE;
    if (len >= 4 && memcmp(code, "RITE", 4) == 0)
        mrb_load_irep_buf_cxt(mrb, code, len, cxt);
    else
        mrb_load_nstring_cxt(mrb, code, len, cxt);
    mrbc_context_free(mrb, cxt);
    if (mrb->exc) {
        fprintf(stderr, "floor: %s does not compile\n", path);
        return -1;
    }
    return 0;
}
#endif

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
    mrb_state *mrb = mrb_open();
    if (!mrb)
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
        } else if (strcmp(argv[i], "read") == 0 && i + 1 < argc) {
            size_t len;
            if (!slurp(argv[++i], &len))
                return 125;
#ifdef FLOOR_MRUBY_GEMS
        } else if (strcmp(argv[i], "compile") == 0 && i + 1 < argc) {
            if (compile(mrb, argv[++i]) < 0)
                return 125;
#endif
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
