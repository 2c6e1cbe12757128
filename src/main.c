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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "error.h"
#include "execute.h"
#include "policy.h"
#include "policyfile.h"
#include "settings.h"
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
          " -u, --user USER[:GROUP]\n"
          "                      run COMMAND as USER (name or number) with USER's groups,\n"
          "                      or GROUP; groups are still created and joined as root\n"
          "     --no-new-privs   run COMMAND with no_new_privs set: setuid files and file\n"
          "                      capabilities give it nothing\n"
          "     --list-settings  list every setting of the policy API: class and method,\n"
          "                      access, cgroup v1 and v2 files, unit\n"
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
        { "user", required_argument, NULL, 'u' },
        { "no-new-privs", no_argument, NULL, 'P' },
        { "list-settings", no_argument, NULL, 'L' },
        { NULL, 0, NULL, 0 },
    };
    const char *code = NULL, *root = getenv("MCGEXEC_ROOT"), *user = NULL;
    const char *policy_name;
    int dry_run = 0, verbose = 0, wait = 0, c;
    struct mcg_supervise_opts sup = { 0 };
    struct mcg_creds creds = { 0 };
    const char *why;
    struct mcg_error err = { 0 };
    struct mcg_run run;
    char *policy_buf = NULL;
    size_t policy_len;

    if (root && !*root)
        root = NULL;
    /* '+': stop at the first operand, so COMMAND's options stay its own */
    while ((c = getopt_long(argc, argv, "+e:nvr:hVwt:u:", longopts, NULL)) != -1) {
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
        case 'u':
            user = optarg;
            break;
        case 'P':
            creds.no_new_privs = 1;
            break;
        case 'L':
            mcg_list_settings(stdout);
            return fflush(stdout) == 0 ? 0 : MCG_EXIT_FAILURE;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("mcgexec %s (mruby %s, %s)\n", MCGEXEC_VERSION, MCGEXEC_MRUBY_VERSION, MCGEXEC_MRUBY_BUILD);
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

    /* Users and groups are looked up before anything changes. */
    if (user && mcg_parse_user(user, &creds, &err) < 0) {
        fprintf(stderr, "mcgexec: %s\n", err.msg);
        return MCG_EXIT_FAILURE;
    }
    if (!code) {
        policy_buf = mcg_read_policy(policy_name, &policy_len, &err);
        if (!policy_buf) {
            fprintf(stderr, "mcgexec: %s\n", err.msg);
            return MCG_EXIT_FAILURE;
        }
        code = policy_buf;
    } else {
        policy_len = strlen(code);
    }

    mcg_run_init(&run, dry_run, verbose, root);
    mcg_guard_begin(&run);
    struct mrb_state *mrb = mcg_policy_open(&run, policy_name, command, &err);
    /* Supervised, COMMAND's process joins the groups itself (between fork
     * and exec), so the supervisor never enters and leaves them. */
    if (!mrb || mcg_policy_run(mrb, code, policy_len, &err) < 0 ||
        (wait ? mcg_plan_child_joins(&run, &err) : mcg_join_pending(&run, &err)) < 0) {
        fprintf(stderr, "mcgexec: %s\n", err.msg);
        mcg_policy_close(mrb);
        mcg_rollback(&run);
        mcg_guard_end();
        mcg_run_free(&run);
        free(policy_buf);
        return MCG_EXIT_FAILURE;
    }
    /* The VM goes before COMMAND starts: files the policy opened close,
     * children it started with IO.popen are waited for. */
    mcg_policy_close(mrb);
    mrb = NULL;
    free(policy_buf);

    if (dry_run) {
        mcg_guard_end();
        if (*command)
            print_plan_exec(command);
        mcg_run_free(&run);
        return fflush(stdout) == 0 ? 0 : MCG_EXIT_FAILURE;
    }

    if (verbose)
        fprintf(stderr, "mcgexec: exec %s\n", command[0]);
    if (wait) {
        sup.creds = &creds;
        int status = mcg_supervise(&run, command, &sup);
        mcg_run_free(&run);
        return status;
    }
    fflush(stdout);
    fflush(stderr);
    /* The signal guard stays until the exec, which resets caught signals
     * to their defaults (and keeps ignored ones ignored). */
    int status = mcg_become_command(&creds, command, &err);
    /* A drop that failed after the uid changed leaves us unable to undo
     * the groups; the message says which step failed. */
    fprintf(stderr, "mcgexec: %s\n", err.msg);
    mcg_policy_close(mrb);
    mcg_rollback(&run);
    mcg_run_free(&run);
    return status;
}
