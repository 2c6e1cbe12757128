/* mcgexec: run a command under cgroup limits set by a Ruby policy.
 *
 *   mcgexec [OPTIONS] POLICY [--] COMMAND [ARG...]
 *
 * Order of work: parse options; read the policy; run it in an mruby VM
 * (which creates and configures groups through cgroupfs.c); join the
 * groups; close the VM; exec COMMAND in place, so it keeps our pid, stdio,
 * environment and open files.  Any failure before the exec rolls back what
 * this run created and exits 125 without running COMMAND.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "error.h"
#include "policy.h"
#include "supervise.h"
#include "values.h"

#ifndef MCGEXEC_VERSION
#define MCGEXEC_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
    fputs("Usage:\n"
          " mcgexec [options] POLICY [--] COMMAND [ARG...]\n"
          " mcgexec [options] -e CODE [--] COMMAND [ARG...]\n"
          "\n"
          "Run COMMAND inside the cgroups that the Ruby POLICY creates and configures.\n"
          "\n"
          "Options:\n"
          " -e, --eval CODE      the policy is CODE (no POLICY argument)\n"
          " -n, --dry-run        print the operations the policy would do; change nothing,\n"
          "                      do not run COMMAND\n"
          " -v, --verbose        print each cgroup operation on stderr as it happens\n"
          " -r, --root PATH|self resolve group names under PATH in each hierarchy; 'self'\n"
          "                      is the cgroup mcgexec runs in (default: $MCGEXEC_ROOT)\n"
          " -w, --wait           stay as a supervisor: forward signals, wait for COMMAND,\n"
          "                      exit with its status (128+N if killed by signal N)\n"
          "     --rm             when COMMAND ends, kill what is left in the groups this run\n"
          "                      created and remove them (implies --wait)\n"
          " -t, --timeout DUR    kill the job after DUR (90, 90s, 5m, 1h); exit 124\n"
          "                      (implies --wait)\n"
          "     --stats[=FILE]   report what the job used (on stderr, or in FILE)\n"
          "                      (implies --wait)\n"
          "     --stats-format=text|json\n"
          "                      the report's format (json implies --stats)\n"
          " -h, --help           display this help\n"
          " -V, --version        display version\n"
          "\n"
          "Exit status: 125 if mcgexec or the policy fails, 126 if COMMAND cannot be\n"
          "executed, 127 if COMMAND is not found, 124 if --timeout expired, otherwise\n"
          "the status of COMMAND (with --wait, 128+N if it was killed by signal N).\n"
          "\n"
          "For more details see mcgexec(1).\n",
          out);
}

static int misuse(const char *msg)
{
    if (msg)
        fprintf(stderr, "mcgexec: %s\n", msg);
    fputs("Try 'mcgexec --help' for more information.\n", stderr);
    return MCG_EXIT_FAILURE;
}

/* Read the whole policy file.  Refuses directories and reports the
 * errno, naming the file. */
static char *read_policy(const char *path, size_t *len, struct mcg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (fd < 0) {
        mcg_fail_errno(err, errno, "cannot read policy %s", path);
        return NULL;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        mcg_fail_errno(err, EISDIR, "cannot read policy %s", path);
        return NULL;
    }
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb)
                abort();
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            mcg_fail_errno(err, e, "cannot read policy %s", path);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void print_plan_exec(char *const *cmd)
{
    fputs("exec", stdout);
    for (; *cmd; cmd++) {
        /* quote what a shell would split or expand */
        const char *a = *cmd;
        if (*a && strcspn(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") == strlen(a))
            printf(" %s", a);
        else {
            fputs(" '", stdout);
            for (; *a; a++)
                *a == '\'' ? fputs("'\\''", stdout) : putchar(*a);
            putchar('\'');
        }
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "eval", required_argument, NULL, 'e' },
        { "dry-run", no_argument, NULL, 'n' },
        { "verbose", no_argument, NULL, 'v' },
        { "root", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "wait", no_argument, NULL, 'w' },
        { "rm", no_argument, NULL, 'R' },
        { "timeout", required_argument, NULL, 't' },
        { "stats", optional_argument, NULL, 'S' },
        { "stats-format", required_argument, NULL, 'F' },
        { NULL, 0, NULL, 0 },
    };
    const char *code = NULL, *root = getenv("MCGEXEC_ROOT");
    const char *policy_name;
    int dry_run = 0, verbose = 0, wait = 0, c;
    struct mcg_supervise_opts sup = { 0 };
    const char *why;
    struct mcg_error err = { 0 };
    struct mcg_run run;
    char *policy_buf = NULL;
    size_t policy_len;

    if (root && !*root)
        root = NULL;
    /* '+': stop at the first operand, so COMMAND's options stay its own */
    while ((c = getopt_long(argc, argv, "+e:nvr:hVwt:", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            code = optarg;
            break;
        case 'n':
            dry_run = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'r':
            root = optarg;
            break;
        case 'w':
            wait = 1;
            break;
        case 'R':
            sup.rm = wait = 1;
            break;
        case 't':
            if (mcg_parse_duration(optarg, &sup.timeout, &why) < 0) {
                fprintf(stderr, "mcgexec: --timeout %s: %s\n", optarg, why);
                return misuse(NULL);
            }
            wait = 1;
            break;
        case 'S':
            sup.stats = wait = 1;
            sup.stats_file = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "json") == 0)
                sup.json = sup.stats = wait = 1;
            else if (strcmp(optarg, "text") == 0)
                sup.json = 0;
            else
                return misuse("--stats-format takes 'text' or 'json'");
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("mcgexec %s (mruby %s, libcgroup %s)\n", MCGEXEC_VERSION,
                   MCGEXEC_MRUBY_VERSION, MCGEXEC_LIBCGROUP_VERSION);
            return 0;
        default:
            return misuse(NULL);
        }
    }
    if (code) {
        policy_name = "-e";
    } else {
        if (optind >= argc)
            return misuse("no POLICY given");
        policy_name = argv[optind++];
    }
    if (optind < argc && strcmp(argv[optind], "--") == 0)
        optind++;
    char **command = &argv[optind];
    if (!*command && !dry_run)
        return misuse("no COMMAND given");
    if (root && strcmp(root, "self") != 0 && root[0] != '/')
        return misuse("--root takes an absolute path or 'self'");

    if (!code) {
        policy_buf = read_policy(policy_name, &policy_len, &err);
        if (!policy_buf) {
            fprintf(stderr, "mcgexec: %s\n", err.msg);
            return MCG_EXIT_FAILURE;
        }
        code = policy_buf;
    } else {
        policy_len = strlen(code);
    }

    mcg_run_init(&run, dry_run, verbose, root);
    struct mrb_state *mrb = mcg_policy_open(&run, policy_name, command, &err);
    if (!mrb || mcg_policy_run(mrb, code, policy_len, &err) < 0 ||
        mcg_join_pending(&run, &err) < 0) {
        fprintf(stderr, "mcgexec: %s\n", err.msg);
        mcg_policy_close(mrb);
        mcg_rollback(&run);
        mcg_run_free(&run);
        free(policy_buf);
        return MCG_EXIT_FAILURE;
    }
    /* The VM goes before COMMAND starts: files the policy opened close. */
    mcg_policy_close(mrb);
    free(policy_buf);

    if (dry_run) {
        if (*command)
            print_plan_exec(command);
        mcg_run_free(&run);
        return fflush(stdout) == 0 ? 0 : MCG_EXIT_FAILURE;
    }

    if (verbose)
        fprintf(stderr, "mcgexec: exec %s\n", command[0]);
    if (wait) {
        int status = mcg_supervise(&run, command, &sup);
        mcg_run_free(&run);
        return status;
    }
    fflush(stdout);
    fflush(stderr);
    execvp(command[0], command);
    int e = errno;
    fprintf(stderr, "mcgexec: failed to execute %s: %s\n", command[0], strerror(e));
    mcg_rollback(&run);
    mcg_run_free(&run);
    return e == ENOENT ? MCG_EXIT_NOT_FOUND : MCG_EXIT_CANNOT_RUN;
}
