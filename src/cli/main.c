/* mcgexec: run a command under cgroup limits set by a Ruby policy.
 *
 *   mcgexec [OPTIONS] POLICY [--] COMMAND [ARG...]
 *
 * Order of work: parse options; read the policy; run it in an mruby VM
 * (which creates and configures groups through src/core/run.h); join the
 * groups; close the VM; exec COMMAND in place, so it keeps our pid, stdio,
 * environment and open files.  Any failure before the exec rolls back what
 * this run created and exits 125 without running COMMAND.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/run.h"
#include "core/runstate.h"
#include "base/error.h"
#include "supervisor/execute.h"
#include "policy/policy.h"
#include "policy/policyfile.h"
#include "supervisor/report.h"
#include "settings/settings.h"
#include "supervisor/supervise.h"
#include "supervisor/record.h"
#include "render/plot.h"
#include "base/unitname.h"
#include "base/values.h"

#ifndef MCGEXEC_VERSION
#define MCGEXEC_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
    fputs("Usage:\n"
          " mcgexec [options] POLICY [--] COMMAND [ARG...]\n"
          " mcgexec [options] -e CODE [--] COMMAND [ARG...]\n"
          " mcgexec --plot=FILE.svg --from=RECORD\n"
          " mcgexec --gc [--verbose]\n"
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
          "     --manager=auto|systemd|cgroupfs\n"
          "                      who manages the groups: systemd (a delegated cgroup, or\n"
          "                      a transient scope with Delegate=yes) or the cgroup\n"
          "                      filesystem; auto: systemd on a cgroup v2 host systemd\n"
          "                      runs (default: $MCGEXEC_MANAGER, else auto)\n"
          "     --slice SLICE    the slice of the systemd manager's scope (system.slice;\n"
          "                      without root, in the user's manager, app.slice)\n"
          "     --scope          a transient scope of its own wherever systemd runs, as\n"
          "                      systemd-run --scope: out of a service or delegated unit\n"
          "                      (bound to a service: its stop still ends the job)\n"
          " -w, --wait           stay as a supervisor: forward signals, wait for COMMAND,\n"
          "                      exit with its status (killed by signal N: mcgexec ends\n"
          "                      by signal N too, 128+N in a shell)\n"
          "     --rm             when COMMAND ends, kill what is left in the groups this run\n"
          "                      created and remove them (implies --wait)\n"
          " -t, --timeout DUR    after DUR (90, 90s, 1m30s, 500ms, 1h), send the whole job\n"
          "                      SIGTERM, then SIGKILL after --kill-after; exit 124\n"
          "                      (implies --wait)\n"
          "     --kill-after DUR the grace between the timeout's signal and SIGKILL\n"
          "                      (default 5s; 0: SIGKILL at once)\n"
          "     --timeout-signal SIG\n"
          "                      the signal the timeout sends first (default TERM)\n"
          "     --stats[=FILE]   report what the job used (on stderr, or in FILE)\n"
          "                      (implies --wait)\n"
          "     --stats-format=text|json|markdown|openmetrics\n"
          "                      the report's format (any but text implies --stats):\n"
          "                      markdown for a CI step's summary, with sparklines;\n"
          "                      openmetrics for GitLab's metrics report\n"
          "     --record=FILE    sample what the job uses while it runs (CPU, memory,\n"
          "                      I/O, pids, pressure, events) into FILE as JSON at its\n"
          "                      end (implies --wait)\n"
          "     --interval DUR   sample every DUR (default: adapted to the job's length\n"
          "                      and to what a sample costs)\n"
          "     --plot=FILE.svg  draw the record (CPU, memory, I/O, pressure, tasks, the\n"
          "                      limits and events) as one self-contained SVG (implies\n"
          "                      --wait)\n"
          "     --from=RECORD    with --plot: draw a record --record wrote; run nothing\n"
          " -u, --user USER[:GROUP]\n"
          "                      run COMMAND as USER (name or number) with USER's groups,\n"
          "                      or GROUP; groups are still created and joined as root\n"
          "     --no-new-privs   run COMMAND with no_new_privs set: setuid files and file\n"
          "                      capabilities give it nothing\n"
          "     --gc             remove what runs killed by SIGKILL left: their groups,\n"
          "                      and the processes in them where they asked for --rm\n"
          "                      (each run does it in passing; see STATE in mcgexec(1))\n"
          "     --list-settings  list every setting of the policy API: class and method,\n"
          "                      access, cgroup v1 and v2 files, concise name, unit\n"
          " -h, --help           display this help\n"
          " -V, --version        display version\n"
          "\n"
          "Exit status: 125 if mcgexec or the policy fails, 126 if COMMAND cannot be\n"
          "executed, 127 if COMMAND is not found, 124 if --timeout expired, otherwise\n"
          "the status of COMMAND (with --wait, its signal if it was killed by one).\n"
          "\n"
          "For more details see mcgexec(1).\n",
          out);
}

static int misuse(const char *msg)
{
    if (msg)
        mcg_error_now("%s", msg);
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

/* The command line, parsed. */
struct options {
    const char *code;          /* -e CODE, or the policy file's contents */
    const char *policy_name;   /* the file, or "-e" */
    const char *from;          /* --from: a record to draw (--plot), nothing run */
    const char *root, *user;
    int root_given;            /* --root (not $MCGEXEC_ROOT) */
    enum mcg_manager_choice manager;
    const char *slice;
    int scope;                 /* --scope */
    int gc;                    /* --gc: reclaim, run nothing */
    char **command;
    int dry_run, verbose, wait;
    struct mcg_supervise_opts sup;
    struct mcg_creds creds;
    struct mrb_state *vm;      /* the policy's VM, when left to the exec (or to undo) */
};

/* What the environment sets before the options do: $MCGEXEC_ROOT,
 * $MCGEXEC_MANAGER. */
static int options_from_env(struct options *o)
{
    const char *m = getenv("MCGEXEC_MANAGER");

    o->root = getenv("MCGEXEC_ROOT");
    if (o->root && !*o->root)
        o->root = NULL;
    if (m && *m && mcg_parse_manager(m, &o->manager) < 0) {
        mcg_error_now("MCGEXEC_MANAGER=%s: auto, systemd or cgroupfs", m);
        return -1;
    }
    return 0;
}

/* --timeout, --kill-after, --timeout-signal (c, with optarg) into o:
 * -1 to go on, or the status of misuse. */
static int take_timeout_option(int c, struct options *o)
{
    const char *why;

    if (c == 'G') {
        if (mcg_parse_signal(optarg, &o->sup.timeout_signal) == 0)
            return -1;
        mcg_error_now("--timeout-signal %s: no such signal (a name such as TERM, INT, KILL, or "
                      "a number)", optarg);
        return misuse(NULL);
    }
    if (c == 'K' && strcmp(optarg, "0") == 0) {
        o->sup.kill_after = 0; /* SIGKILL at once */
        return -1;
    }
    if (mcg_parse_duration(optarg, c == 'K' ? &o->sup.kill_after : &o->sup.timeout, &why) < 0) {
        mcg_error_now("%s %s: %s", c == 'K' ? "--kill-after" : "--timeout", optarg, why);
        return misuse(NULL);
    }
    if (c == 't')
        o->wait = 1;
    return -1;
}

/* One option (getopt_long's c, with optarg) into o.  Returns -1 to go on,
 * or the status to exit with (--help, --version, --list-settings, misuse). */
static int take_option(int c, struct options *o)
{
    switch (c) {
    case 'e':
        o->code = optarg;
        break;
    case 'n':
        o->dry_run = 1;
        break;
    case 'v':
        o->verbose = 1;
        break;
    case 'r':
        o->root = optarg;
        o->root_given = 1;
        break;
    case 'w':
        o->wait = 1;
        break;
    case 'R':
        o->sup.rm = o->wait = 1;
        break;
    case 't':
    case 'K':
    case 'G':
        return take_timeout_option(c, o);
    case 'S':
        o->sup.stats = o->wait = 1;
        o->sup.stats_file = optarg;
        break;
    case 'F':
        if (strcmp(optarg, "text") == 0)
            o->sup.format = MCG_STATS_TEXT;
        else if (strcmp(optarg, "json") == 0)
            o->sup.format = MCG_STATS_JSON;
        else if (strcmp(optarg, "markdown") == 0)
            o->sup.format = MCG_STATS_MARKDOWN;
        else if (strcmp(optarg, "openmetrics") == 0)
            o->sup.format = MCG_STATS_OPENMETRICS;
        else
            return misuse("--stats-format takes 'text', 'json', 'markdown' or 'openmetrics'");
        if (o->sup.format != MCG_STATS_TEXT)
            o->sup.stats = o->wait = 1;
        break;
    case 'O':
        o->sup.record_file = optarg;
        o->wait = 1;
        break;
    case 'g':
        o->sup.plot_file = optarg;
        o->wait = 1;
        break;
    case 'f':
        o->from = optarg;
        break;
    case 'I': {
        const char *why = NULL;
        if (mcg_parse_duration(optarg, &o->sup.interval, &why) < 0) {
            mcg_error_now("--interval %s: %s", optarg, why);
            return misuse(NULL);
        }
        break;
    }
    case 'u':
        o->user = optarg;
        break;
    case 'M':
        if (mcg_parse_manager(optarg, &o->manager) < 0)
            return misuse("--manager takes auto, systemd or cgroupfs");
        break;
    case 's':
        if (!mcg_valid_slice(optarg))
            return misuse("--slice takes a slice unit's name, such as system.slice or batch.slice");
        o->slice = optarg;
        break;
    case 'C':
        o->scope = 1;
        break;
    case 'P':
        o->creds.no_new_privs = 1;
        break;
    case 'X':
        o->gc = 1;
        break;
    case 'L':
        mcg_list_settings(stdout);
        return fflush(stdout) == 0 ? 0 : MCG_EXIT_FAILURE;
    case 'h':
        usage(stdout);
        return 0;
    case 'V':
        printf("mcgexec %s (mruby %s, %s)\n", MCGEXEC_VERSION, MCGEXEC_MRUBY_VERSION,
               MCGEXEC_MRUBY_BUILD);
        return 0;
    default:
        return misuse(NULL);
    }
    return -1;
}

/* Parse argv into o.  Returns -1 to go on, or the status to exit with
 * (--help, --version, --list-settings, misuse). */
static int parse_options(int argc, char **argv, struct options *o)
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
        { "kill-after", required_argument, NULL, 'K' },
        { "timeout-signal", required_argument, NULL, 'G' },
        { "stats", optional_argument, NULL, 'S' },
        { "stats-format", required_argument, NULL, 'F' },
        { "record", required_argument, NULL, 'O' },
        { "interval", required_argument, NULL, 'I' },
        { "plot", required_argument, NULL, 'g' },
        { "from", required_argument, NULL, 'f' },
        { "user", required_argument, NULL, 'u' },
        { "no-new-privs", no_argument, NULL, 'P' },
        { "list-settings", no_argument, NULL, 'L' },
        { "manager", required_argument, NULL, 'M' },
        { "slice", required_argument, NULL, 's' },
        { "scope", no_argument, NULL, 'C' },
        { "gc", no_argument, NULL, 'X' },
        { NULL, 0, NULL, 0 },
    };
    int c, r;

    if (options_from_env(o) < 0)
        return misuse(NULL);
    /* '+': stop at the first operand, so COMMAND's options stay its own;
     * getopt's own messages name argv[0]: "mcgexec:", however it was run */
    char *argv0 = argv[0];
    argv[0] = (char *)"mcgexec";
    while ((c = getopt_long(argc, argv, "+e:nvr:hVwt:u:", longopts, NULL)) != -1)
        if ((r = take_option(c, o)) >= 0) {
            argv[0] = argv0;
            return r;
        }
    argv[0] = argv0;
    if (o->gc) {
        if (optind < argc || o->code || o->dry_run || o->sup.plot_file)
            return misuse("--gc reclaims what dead runs left and runs nothing: no POLICY or "
                          "COMMAND (--verbose says each step)");
        return -1;
    }
    if (o->from) {
        /* --plot=SVG --from=RECORD: a record drawn again, nothing run */
        if (!o->sup.plot_file)
            return misuse("--from draws a record: give --plot=FILE.svg too");
        if (optind < argc || o->code)
            return misuse("--from draws a record and runs nothing: no POLICY or COMMAND");
        return -1;
    }
    if (o->code) {
        o->policy_name = "-e";
    } else {
        if (optind >= argc)
            return misuse("no POLICY given");
        o->policy_name = argv[optind++];
    }
    o->sup.policy = o->policy_name;
    if (optind < argc && strcmp(argv[optind], "--") == 0)
        optind++;
    o->command = &argv[optind];
    if (!*o->command && !o->dry_run)
        return misuse("no COMMAND given");
    if (o->root && strcmp(o->root, "self") != 0 && o->root[0] != '/')
        return misuse("--root takes an absolute path or 'self'");
    if (o->root_given && o->scope)
        return misuse("--scope puts the groups below a scope of its own, --root below a cgroup "
                      "you name: give one of them");
    if (o->scope)
        o->root = NULL; /* (the option beats $MCGEXEC_ROOT, as --root does) */
    return -1;
}

/* Undo a run that failed (its error said already): the VM, the journal. */
static void undo_run(struct mcg_run *run, struct mrb_state *mrb)
{
    mcg_policy_close(mrb);
    mcg_rollback(run);
    mcg_run_free(run); /* ends the signal guard */
}

/* Something failed after the run began: say it once, undo the run. */
static int give_up(struct mcg_run *run, struct mrb_state *mrb, const struct mcg_error *err,
                   int status)
{
    mcg_print_error(err);
    undo_run(run, mrb);
    return status;
}

/* Has mcgexec a child process (one a policy started with IO.popen)?
 * Asked without reaping it. */
static int has_children(void)
{
    siginfo_t info = { 0 };
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* After the policy: join its groups, or, supervised, plan the joins.
 * The manager may have made the run supervised while the policy ran (a
 * job that only mcgexec can end with the service it left) and its groups
 * removed at the end (inside another program's cgroups): the options
 * follow the run. */
static int join_after_policy(struct options *o, struct mcg_run *run, struct mcg_error *err)
{
    o->wait = mcg_supervised(run);
    o->sup.rm |= mcg_rm_forced(run);
    return o->wait ? mcg_plan_child_joins(run, err) : mcg_join_pending(run, err);
}

/* Run the policy and join (or, supervised, plan the joins: COMMAND's
 * process joins the groups itself, between fork and exec, so that the
 * supervisor never enters and leaves them).  The VM goes before COMMAND
 * starts, closing the files the policy opened and waiting for the children
 * it started with IO.popen; except that where the policy left no children,
 * closing it only frees memory (mruby-io opens every descriptor above 2
 * close-on-exec): mcgexec execing in place leaves that to the exec, and a
 * supervisor closes it once COMMAND has started, off COMMAND's way.
 * -1 with err on failure, nothing printed; *runp is the run once it began
 * (a failure then undoes it: o->vm is its VM), else NULL. */
static int apply_policy(struct options *o, struct mcg_run **runp, struct mcg_error *err)
{
    char *policy_buf = NULL;
    size_t len;

    if (!o->code) {
        policy_buf = mcg_read_policy(o->policy_name, &len, err);
        if (!policy_buf)
            return -1;
        o->code = policy_buf;
    } else {
        len = strlen(o->code);
    }
    struct mcg_run *run = *runp =
        mcg_run_new(&(struct mcg_run_opts){ .dry_run = o->dry_run, .verbose = o->verbose,
                                            .supervised = o->wait, .rm = o->sup.rm,
                                            .root = o->root,
                                            .manager = o->manager, .slice = o->slice,
                                            .scope = o->scope,
                                            .stop_signal = o->sup.timeout_signal,
                                            .stop_grace = o->sup.kill_after,
                                            .command = o->command });
    mcg_guard_begin(run);
    struct mrb_state *mrb = mcg_policy_open(run, o->policy_name, o->command, err);
    if (!mrb || mcg_policy_run(mrb, o->code, len, err) < 0 || join_after_policy(o, run, err) < 0) {
        free(policy_buf);
        o->code = NULL;
        o->vm = mrb; /* (for undo_run) */
        return -1;
    }
    if (o->dry_run || has_children())
        mcg_policy_close(mrb);
    else if (o->wait)
        o->sup.vm = mrb;
    else
        o->vm = mrb;
    free(policy_buf);
    o->code = NULL;
    return 0;
}

/* The groups are set up: print the plan, supervise COMMAND, or become it. */
static int start_command(struct options *o, struct mcg_run *run)
{
    struct mcg_error err = { 0 };

    if (o->dry_run) {
        size_t refused = mcg_refused_count(run);
        mcg_run_free(run);
        if (*o->command)
            print_plan_exec(o->command);
        if (refused)
            printf("# uid %d would be refused in %zu place%s above: the real run would stop at "
                   "the first (run it as root, or in a cgroup delegated to this user)\n",
                   (int)geteuid(), refused, refused == 1 ? "" : "s");
        return fflush(stdout) == 0 ? 0 : MCG_EXIT_FAILURE;
    }
    if (o->verbose)
        fprintf(stderr, "mcgexec: exec %s\n", o->command[0]);
    if (o->wait) {
        o->sup.creds = &o->creds;
        if (o->sup.rm || mcg_rm_forced(run))
            o->creds.die_with = getpid();
        int status = mcg_supervise(run, o->command, &o->sup);
        mcg_run_free(run);
        return status;
    }
    fflush(stdout);
    fflush(stderr);
    /* The signal guard stays until the exec, which resets caught signals
     * to their defaults (and keeps ignored ones ignored); the groups are
     * the command's from the exec on. */
    mcg_state_exec(run);
    int status = mcg_become_command(&o->creds, o->command, &err);
    mcg_state_exec_failed(run);
    /* A limit the command could not start under is the likely reason. */
    mcg_say_memory_limit(run, NULL, o->command[0], &err);
    /* A drop that failed after the uid changed leaves us unable to undo
     * the groups; the message says which step failed. */
    return give_up(run, o->vm, &err, status);
}

/* After the options: the user, the report's file, the policy, COMMAND. */
static int run_command(struct options *o)
{
    struct mcg_error err = { 0 };
    struct mcg_run *run = NULL; /* made once the policy is read */

    /* Users and groups are looked up before anything changes. */
    if ((o->user && mcg_parse_user(o->user, &o->creds, &err) < 0) ||
        (!o->dry_run && mcg_prepare_stats(&o->sup, &err) < 0)) {
        mcg_print_error(&err);
        return MCG_EXIT_FAILURE;
    }
    /* What runs killed by SIGKILL left, in passing (where there is
     * nothing, a look at one directory) */
    struct mcg_reclaim_counts ignored;
    if (!o->dry_run && mcg_reclaim(0, 1, &ignored, &err) < 0)
        err = (struct mcg_error){ 0 }; /* (an unreadable directory: --gc says it) */
    if (apply_policy(o, &run, &err) < 0) {
        /* (the report first: it is the run's record, whatever the undo says) */
        if (!o->dry_run) {
            mcg_report_failure(run, &o->sup, o->command, MCG_EXIT_FAILURE, err.msg);
            mcg_record_failure(run, &o->sup, o->command, MCG_EXIT_FAILURE, err.msg);
        }
        if (run)
            return give_up(run, o->vm, &err, MCG_EXIT_FAILURE);
        mcg_print_error(&err); /* the policy file, before anything changed */
        return MCG_EXIT_FAILURE;
    }
    return start_command(o, run);
}

/* --gc: reclaim what dead runs left, waiting for runs making groups; one
 * line of what was done.  0, or 125 where something is left. */
static int collect_garbage(int verbose)
{
    struct mcg_error err = { 0 };
    struct mcg_reclaim_counts c;

    if (mcg_reclaim(1, verbose ? 2 : 1, &c, &err) < 0) {
        mcg_print_error(&err);
        return MCG_EXIT_FAILURE;
    }
    if (verbose || c.runs)
        fprintf(stderr,
                "mcgexec: --gc: %d dead run%s: %d group%s removed, %d process%s killed, %d "
                "group%s left (busy)\n",
                c.runs, c.runs == 1 ? "" : "s", c.removed, c.removed == 1 ? "" : "s", c.killed,
                c.killed == 1 ? "" : "es", c.kept, c.kept == 1 ? "" : "s");
    return c.kept ? MCG_EXIT_FAILURE : 0;
}

/* A policy is a program: it runs with mcgexec's effective ids, files and
 * all.  Installed setuid or setgid (or with file capabilities, which the
 * kernel flags as AT_SECURE too), mcgexec would give every user who can
 * run it a root shell, so it refuses before reading its options. */
static int refuse_setid(void)
{
    if (getuid() == geteuid() && getgid() == getegid() && !getauxval(AT_SECURE))
        return 0;
    mcg_error_now("refusing to run setuid, setgid or with file capabilities (uid %d, effective "
                  "uid %d): a policy runs with mcgexec's privileges, so every user would have "
                  "root; let users run it through sudo rules, or without root through systemd's "
                  "user manager (man mcgexec, SECURITY)",
                  (int)getuid(), (int)geteuid());
    return MCG_EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    struct options o = { .sup = { .timeout_signal = SIGTERM, .kill_after = 5 } };

    if (refuse_setid())
        return MCG_EXIT_FAILURE;
    int status = parse_options(argc, argv, &o);

    if (status >= 0)
        return status;
    if (o.gc)
        return collect_garbage(o.verbose);
    if (o.from) {
        struct mcg_error err = { 0 };
        if (mcg_plot_file(o.from, o.sup.plot_file, &err) < 0) {
            mcg_print_error(&err);
            return MCG_EXIT_FAILURE;
        }
        return 0;
    }
    status = run_command(&o);
    mcg_creds_free(&o.creds);
    return status;
}
