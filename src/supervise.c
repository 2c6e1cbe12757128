/* The supervisor (--wait, --rm, --timeout, --stats).
 *
 * mcgexec has joined the groups; the child is forked into them and execs
 * COMMAND, while the parent leaves them (it must be neither charged nor
 * killed with the job), drops what it no longer needs, and waits with all
 * forwarded signals blocked, taking them one at a time with sigtimedwait so
 * that a deadline, a signal and the child's exit cannot race.
 */
#define _GNU_SOURCE
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "settings.h"
#include "values.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* A handler that does nothing: a signal whose disposition is SIG_IGN is
 * dropped even while blocked, so the supervisor catches every forwarded
 * signal (a shell starts background jobs with SIGINT ignored) and the
 * child gets the dispositions mcgexec was started with back. */
static void caught(int sig)
{
    (void)sig;
}

/* Counters read before and after the run: the report gives the difference,
 * so a group that existed before reports this run only.  -1: unknown. */
struct counters {
    int64_t oom_kills, limit_hits, throttled, throttled_ns, io_read, io_write;
    int64_t user_ticks, system_ticks;
};

struct report {
    char **command;
    int exited, exit_code, signal, timed_out, oom_killed, status;
    double wall;
    double user, sys;
    const char *cpu_source, *memory_source;
    int64_t mem_peak, mem_limit, tasks_peak;
    struct counters d;
    int killed;                /* processes --timeout killed */
    char memgroup[PATH_MAX];   /* the memory group's name, for messages */
};

/* A reading of the job's accounting through the settings table. */
static int64_t reading(struct mcg_run *run, enum mcg_ctrl c, const char *method)
{
    const struct mcg_setting *s = mcg_setting_find(c, method);
    struct mcg_error err = { 0 };
    char dir[PATH_MAX], *text = NULL;
    const char *why;
    int64_t v;

    if (!s || mcg_job_dir(run, c, dir, sizeof(dir)) < 0 ||
        mcg_read_setting(run, dir, s, &text, &err) < 0)
        return -1;
    int r = mcg_parse_int(text, &v, &why);
    free(text);
    return r < 0 ? -1 : v;
}

static void cpu_ticks(struct mcg_run *run, int64_t *user, int64_t *sys)
{
    const struct mcg_setting *s = mcg_setting_find(MCG_CPUACCT, "stat");
    struct mcg_error err = { 0 };
    char dir[PATH_MAX], *text = NULL;

    *user = *sys = -1;
    if (mcg_job_dir(run, MCG_CPUACCT, dir, sizeof(dir)) < 0 ||
        mcg_read_setting(run, dir, s, &text, &err) < 0)
        return;
    if (mcg_keyed_value(text, "user", user) < 0 || mcg_keyed_value(text, "system", sys) < 0)
        *user = *sys = -1;
    free(text);
}

/* All the counters for --stats; without it only what naming an OOM kill
 * needs (each reading is a file read on the way to COMMAND). */
static void read_counters(struct mcg_run *run, struct counters *c, int all)
{
    c->oom_kills = reading(run, MCG_MEMORY, "oom_kill");
    if (!all) {
        c->limit_hits = c->throttled = c->throttled_ns = c->io_read = c->io_write = -1;
        c->user_ticks = c->system_ticks = -1;
        return;
    }
    c->limit_hits = reading(run, MCG_MEMORY, "failcnt");
    c->throttled = reading(run, MCG_CPU, "nr_throttled");
    c->throttled_ns = reading(run, MCG_CPU, "throttled_time");
    c->io_read = reading(run, MCG_BLKIO, "read_bytes");
    c->io_write = reading(run, MCG_BLKIO, "write_bytes");
    cpu_ticks(run, &c->user_ticks, &c->system_ticks);
}

static int64_t delta(int64_t before, int64_t after)
{
    return before < 0 || after < 0 ? -1 : after - before;
}

/* Kill the job: every process in the groups this run created, and COMMAND
 * (in a group that existed before, only COMMAND: others may share it). */
static int kill_job(struct mcg_run *run, pid_t child)
{
    int n = 0;

    for (int c = 0; c < MCG_NCTRL; c++) {
        char dir[PATH_MAX];
        if (mcg_job_dir(run, c, dir, sizeof(dir)) == 0 && mcg_created_here(run, dir))
            n += mcg_kill_tree(run, dir, SIGKILL) > 0;
    }
    kill(child, SIGKILL);
    return n;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void put_int(json_t *o, const char *key, int64_t v)
{
    json_object_set_new(o, key, v < 0 ? json_null() : json_integer(v));
}

static json_t *report_json(struct mcg_run *run, const struct report *r)
{
    json_t *o = json_object(), *cmd = json_array(), *groups = json_object();

    json_object_set_new(o, "version", json_integer(1));
    for (char **a = r->command; *a; a++)
        json_array_append_new(cmd, json_string(*a));
    json_object_set_new(o, "command", cmd);
    json_object_set_new(o, "status", json_integer(r->status));
    json_object_set_new(o, "exit_code", r->exited ? json_integer(r->exit_code) : json_null());
    json_object_set_new(o, "signal", r->signal ? json_integer(r->signal) : json_null());
    json_object_set_new(o, "timed_out", json_boolean(r->timed_out));
    json_object_set_new(o, "oom_killed", json_boolean(r->oom_killed));
    json_object_set_new(o, "wall_time_s", json_real(r->wall));
    json_object_set_new(o, "cpu_user_s", json_real(r->user));
    json_object_set_new(o, "cpu_system_s", json_real(r->sys));
    json_object_set_new(o, "cpu_source", json_string(r->cpu_source));
    put_int(o, "memory_peak_bytes", r->mem_peak);
    json_object_set_new(o, "memory_source", json_string(r->memory_source));
    put_int(o, "memory_limit_bytes", r->mem_limit);
    put_int(o, "oom_kills", r->d.oom_kills);
    put_int(o, "memory_limit_hits", r->d.limit_hits);
    put_int(o, "cpu_throttled_periods", r->d.throttled);
    json_object_set_new(o, "cpu_throttled_s", r->d.throttled_ns < 0
                                                  ? json_null()
                                                  : json_real((double)r->d.throttled_ns / 1e9));
    put_int(o, "io_read_bytes", r->d.io_read);
    put_int(o, "io_write_bytes", r->d.io_write);
    put_int(o, "tasks_peak", r->tasks_peak);
    for (int c = 0; c < MCG_NCTRL; c++) {
        char dir[PATH_MAX];
        if (mcg_job_dir(run, c, dir, sizeof(dir)) == 0)
            json_object_set_new(groups, mcg_ctrl_name(c), json_string(dir));
    }
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "cgroup_version",
                        json_integer(run->layout == MCG_LAYOUT_UNIFIED ? 2 : 1));
    return o;
}

static const char *bytes_or_na(int64_t v, char *buf, size_t len)
{
    if (v < 0)
        return "n/a";
    mcg_format_bytes(v, buf, len);
    return buf;
}

static void report_text(FILE *f, const struct report *r)
{
    char a[64], b[64];

    if (r->timed_out)
        fprintf(f, "mcgexec: %s timed out after %.3f s\n", r->command[0], r->wall);
    else if (r->exited)
        fprintf(f, "mcgexec: %s exited with status %d after %.3f s\n", r->command[0],
                r->exit_code, r->wall);
    else
        fprintf(f, "mcgexec: %s was killed by signal %d (%s) after %.3f s\n", r->command[0],
                r->signal, strsignal(r->signal), r->wall);
    fprintf(f, "mcgexec:   cpu: %.3f s user, %.3f s system (%s)", r->user, r->sys, r->cpu_source);
    if (r->d.throttled >= 0)
        fprintf(f, "; throttled %" PRId64 " periods, %.3f s", r->d.throttled,
                r->d.throttled_ns < 0 ? 0.0 : (double)r->d.throttled_ns / 1e9);
    fputc('\n', f);
    fprintf(f, "mcgexec:   memory: peak %s (%s)", bytes_or_na(r->mem_peak, a, sizeof(a)),
            r->memory_source);
    if (r->mem_limit >= 0)
        fprintf(f, ", limit %s", bytes_or_na(r->mem_limit, b, sizeof(b)));
    if (r->d.oom_kills >= 0)
        fprintf(f, "; %" PRId64 " OOM kills, %" PRId64 " limit hits", r->d.oom_kills,
                r->d.limit_hits < 0 ? 0 : r->d.limit_hits);
    fputc('\n', f);
    if (r->d.io_read >= 0)
        fprintf(f, "mcgexec:   io: %s read, %s written\n", bytes_or_na(r->d.io_read, a, sizeof(a)),
                bytes_or_na(r->d.io_write, b, sizeof(b)));
    if (r->tasks_peak >= 0)
        fprintf(f, "mcgexec:   tasks: peak %" PRId64 "\n", r->tasks_peak);
}

static FILE *open_stats(const struct mcg_supervise_opts *o, struct mcg_error *err)
{
    if (!o->stats_file)
        return stderr;
    int fd = open(o->stats_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f)
        mcg_fail_errno(err, errno, "cannot write stats to %s", o->stats_file);
    return f;
}

static int64_t tasks_peak(struct mcg_run *run)
{
    char dir[PATH_MAX], *text = NULL;
    struct mcg_error err = { 0 };
    int64_t v = -1;
    const char *why;

    /* pids.peak: newer kernels only, the same name wherever it exists */
    if (mcg_job_dir(run, MCG_PIDS, dir, sizeof(dir)) == 0 &&
        mcg_read(run, dir, "pids.peak", &text, &err) == 0) {
        if (mcg_parse_int(text, &v, &why) < 0)
            v = -1;
        free(text);
    }
    return v;
}

/* The process that becomes COMMAND, on a stack of its own while it shares
 * the supervisor's memory: it restores the signal actions, joins the
 * job's groups (only the child, so the supervisor never enters them),
 * drops to --user (only the child: the supervisor stays root to remove
 * the groups), and execs.  A failure is left in `status` and `err`. */
struct child_args {
    struct mcg_run *run;
    char **command;
    const struct mcg_creds *creds;
    const struct sigaction *saved;
    const sigset_t *old;
    int status;
    struct mcg_error err;
};

#if defined(__SANITIZE_ADDRESS__)
#define MCG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MCG_ASAN 1
#endif
#endif
#ifndef MCG_ASAN
static char child_stack[256 * 1024] __attribute__((aligned(16)));
#endif

static int child_main(void *p)
{
    struct child_args *a = p;
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded[i], &a->saved[i], NULL);
    sigprocmask(SIG_SETMASK, a->old, NULL);
    int status = mcg_join_planned(a->run, getpid(), &a->err) < 0
                     ? MCG_EXIT_FAILURE
                     : mcg_become_command(a->creds, a->command, &a->err);
    a->status = status;
    _exit(status);
}

/* How long a job runs before the supervisor gives back its memory. */
#define SHED_AFTER 0.1 /* seconds */

/* Start COMMAND's process.  As posix_spawn(3) does: the child shares our
 * memory and we wait until it has exec'd or died (CLONE_VM | CLONE_VFORK),
 * which spares copying the page tables of the policy's heap.  The child
 * calls only what is safe there: no malloc, system calls, and a message
 * into its own record.  Returns the child's pid, or -1 with *status the
 * exit status (the child failed before or at the exec; said already). */
static pid_t start_child(struct mcg_run *run, char **command, const struct mcg_supervise_opts *o,
                         struct sigaction *saved, const sigset_t *old, int *status)
{
    struct child_args ca = { .run = run, .command = command, .creds = o->creds,
                             .saved = saved, .old = old, .status = -1 };
#ifdef MCG_ASAN
    /* AddressSanitizer cannot follow a child onto a stack of its own:
     * vfork(), the same sharing on ours */
    pid_t child = vfork();
    if (child == 0)
        child_main(&ca);
#else
    pid_t child = clone(child_main, child_stack + sizeof(child_stack),
                        CLONE_VM | CLONE_VFORK | SIGCHLD, &ca);
#endif
    if (child < 0) {
        perror("mcgexec: clone");
        *status = MCG_EXIT_FAILURE;
        return -1;
    }
    if (ca.status >= 0) {
        fprintf(stderr, "mcgexec: %s\n", ca.err.msg);
        waitpid(child, NULL, 0);
        *status = ca.status;
        return -1;
    }
    return child;
}

/* Wait for COMMAND, forwarding the signals in `set`, killing the job at
 * the timeout, and once the job has lasted SHED_AFTER giving back the heap
 * the policy run left (a job that ends sooner would only pay for it). */
static void wait_for_child(struct mcg_run *run, const struct mcg_supervise_opts *o, pid_t child,
                           const sigset_t *set, const struct timespec *t0, struct report *r,
                           int *status, struct rusage *ru)
{
    int shed = 0, terms = 0;

    for (;;) {
        siginfo_t info;
        int sig;
        /* the next deadline, in seconds since the start: giving memory
         * back, then the timeout; none: wait for a signal */
        double next = shed ? -1 : SHED_AFTER;
        if (o->timeout > 0 && !r->timed_out && (next < 0 || o->timeout < next))
            next = o->timeout;
        if (next >= 0) {
            double w = next - seconds_since(t0);
            if (w < 0)
                w = 0;
            struct timespec ts = { (time_t)w, (long)((w - (double)(time_t)w) * 1e9) };
            sig = sigtimedwait(set, &info, &ts);
        } else {
            sig = sigwaitinfo(set, &info);
        }
        if (sig < 0) {
            if (errno != EAGAIN)
                continue;
            if (!shed && seconds_since(t0) >= SHED_AFTER) {
                /* The heap the policy run left.  (Dropping the clean file
                 * pages of the binary too lowered VmRSS and PSS by 1 MiB,
                 * but they stay in the page cache: nothing real was given
                 * back, so mcgexec no longer does it.) */
                malloc_trim(0);
                shed = 1;
            }
            if (o->timeout > 0 && !r->timed_out && seconds_since(t0) >= o->timeout) {
                r->timed_out = 1;
                r->killed = kill_job(run, child);
            }
            continue;
        }
        if (sig == SIGCHLD) {
            if (wait4(child, status, WNOHANG, ru) == child)
                return;
            continue;
        }
        kill(child, sig);
        /* a second SIGINT or SIGTERM means now: end the whole job */
        if ((sig == SIGINT || sig == SIGTERM) && ++terms >= 2)
            kill_job(run, child);
    }
}

/* What the run cost, from the groups' accounting (rusage where a group
 * has none), and how COMMAND ended. */
static void collect_report(struct mcg_run *run, const struct mcg_supervise_opts *o,
                           const struct counters *before, const struct rusage *ru, int status,
                           struct report *r)
{
    struct counters after;

    read_counters(run, &after, o->stats);
    r->d.oom_kills = delta(before->oom_kills, after.oom_kills);
    r->d.limit_hits = delta(before->limit_hits, after.limit_hits);
    r->d.throttled = delta(before->throttled, after.throttled);
    r->d.throttled_ns = delta(before->throttled_ns, after.throttled_ns);
    r->d.io_read = delta(before->io_read, after.io_read);
    r->d.io_write = delta(before->io_write, after.io_write);
    long hz = sysconf(_SC_CLK_TCK);
    if (after.user_ticks >= 0 && before->user_ticks >= 0) {
        r->user = (double)(after.user_ticks - before->user_ticks) / (double)hz;
        r->sys = (double)(after.system_ticks - before->system_ticks) / (double)hz;
        r->cpu_source = "cgroup";
    } else {
        r->user = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6;
        r->sys = (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
        r->cpu_source = "rusage";
    }
    /* the rest is for the report, and the limit for an OOM message too:
     * read only when it will be said */
    r->mem_peak = r->mem_limit = r->tasks_peak = -1;
    if (o->stats) {
        r->mem_peak = reading(run, MCG_MEMORY, "max_usage_in_bytes");
        r->memory_source = "cgroup";
        if (r->mem_peak < 0) {
            r->mem_peak = (int64_t)ru->ru_maxrss * 1024;
            r->memory_source = "rusage";
        }
        r->tasks_peak = tasks_peak(run);
    }
    if (o->stats || r->d.oom_kills > 0) {
        r->mem_limit = reading(run, MCG_MEMORY, "limit_in_bytes");
        if (r->mem_limit >= (INT64_C(1) << 62))
            r->mem_limit = -1; /* no limit */
    }
    char memdir[PATH_MAX];
    if (mcg_job_dir(run, MCG_MEMORY, memdir, sizeof(memdir)) == 0)
        snprintf(r->memgroup, sizeof(r->memgroup), "%s",
                 mcg_group_name_of(run, MCG_MEMORY, memdir));
    if (WIFEXITED(status)) {
        r->exited = 1;
        r->exit_code = WEXITSTATUS(status);
        r->status = r->exit_code;
    } else if (WIFSIGNALED(status)) {
        r->signal = WTERMSIG(status);
        r->status = 128 + r->signal;
    }
    if (r->timed_out)
        r->status = 124;
    r->oom_killed = !r->timed_out && r->d.oom_kills > 0 && r->signal == SIGKILL;
}

/* The lines that say how the job ended badly: a timeout, an OOM kill. */
static void say_outcome(const struct mcg_supervise_opts *o, const struct report *r)
{
    const char *cmd = r->command[0];

    if (r->timed_out) {
        fprintf(stderr, "mcgexec: %s timed out after %g s: killed it%s\n", cmd, o->timeout,
                r->killed ? " and every process in its groups" : "");
    } else if (r->oom_killed) {
        char lim[64] = "";
        if (r->mem_limit >= 0) {
            lim[0] = ' ';
            lim[1] = '(';
            mcg_format_bytes(r->mem_limit, lim + 2, sizeof(lim) - 3);
            strcat(lim, ")");
        }
        fprintf(stderr, "mcgexec: %s was killed by the OOM killer: group %s reached its "
                        "memory limit%s\n", cmd, r->memgroup, lim);
    }
    if (!r->oom_killed && r->d.oom_kills > 0)
        fprintf(stderr, "mcgexec: the OOM killer killed %" PRId64 " process%s in group %s\n",
                r->d.oom_kills, r->d.oom_kills == 1 ? "" : "es", r->memgroup);
}

static void write_report(FILE *stats, struct mcg_run *run, const struct mcg_supervise_opts *o,
                         const struct report *r)
{
    if (o->json) {
        json_t *j = report_json(run, r);
        json_dumpf(j, stats, JSON_COMPACT | JSON_REAL_PRECISION(9));
        fputc('\n', stats);
        json_decref(j);
    } else {
        report_text(stats, r);
    }
    if (stats != stderr)
        fclose(stats);
    else
        fflush(stderr);
}

int mcg_supervise(struct mcg_run *run, char **command, const struct mcg_supervise_opts *o)
{
    struct mcg_error err = { 0 };
    struct report r = { .command = command };
    struct counters before;
    struct timespec t0;
    sigset_t set, old;
    int status = 0;
    struct rusage ru = { 0 };
    FILE *stats = NULL;

    if (o->stats && !(stats = open_stats(o, &err))) {
        fprintf(stderr, "mcgexec: %s\n", err.msg);
        mcg_rollback(run);
        return MCG_EXIT_FAILURE;
    }
    struct sigaction saved[NFORWARDED], sa = { .sa_handler = caught };
    sigemptyset(&set);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaddset(&set, forwarded[i]);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    /* The policy's signal guard hands over to forwarding: its saved
     * actions are what the child restores. */
    mcg_guard_end();
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded[i], &sa, &saved[i]);
    read_counters(run, &before, o->stats);
    fflush(stdout);
    fflush(stderr);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t child = start_child(run, command, o, saved, &old, &status);
    if (child < 0) {
        mcg_rollback(run);
        return status;
    }
    /* COMMAND runs.  Step out of its groups (if the policy put mcgexec in
     * any). */
    mcg_leave(run);
    wait_for_child(run, o, child, &set, &t0, &r, &status, &ru);
    r.wall = seconds_since(&t0);
    collect_report(run, o, &before, &ru, status, &r);
    say_outcome(o, &r);
    if (stats)
        write_report(stats, run, o, &r);
    if (o->rm)
        mcg_remove_created(run);
    else
        mcg_commit(run);
    return r.status;
}
