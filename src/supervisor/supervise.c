/* The supervisor (--wait, --rm, --timeout, --stats).
 *
 * mcgexec has joined the groups; the child is forked into them and execs
 * COMMAND, while the parent leaves them (it must be neither charged nor
 * killed with the job), drops what it no longer needs, and waits with all
 * forwarded signals blocked, taking them one at a time with sigtimedwait so
 * that a deadline, a signal and the child's exit cannot race.  The report
 * itself is report.c's.
 */
#define _GNU_SOURCE
#include "supervisor/supervise.h"
#include "supervisor/report.h"
#include "supervisor/record.h"
#include "core/runstate.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h> /* struct clone_args, CLONE_INTO_CGROUP */
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "policy/policy.h"
#include "base/values.h"

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

/* Signal the job: every process in the groups this run created, and
 * COMMAND (in a group that existed before, only COMMAND: others may share
 * it).  SIGKILL repeats until none is left.  Returns how many groups had
 * processes. */
static int signal_job(struct mcg_run *run, pid_t child, int sig)
{
    int n = 0;

    for (int c = 0; c < MCG_NCTRL; c++) {
        char dir[PATH_MAX];
        if (mcg_job_dir(run, c, dir, sizeof(dir)) == 0 && mcg_created_here(run, dir))
            n += mcg_kill_tree(run, dir, sig) > 0;
    }
    if (child > 0)
        kill(child, sig);
    return n;
}

static int kill_job(struct mcg_run *run, pid_t child)
{
    return signal_job(run, child, SIGKILL);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* How the process that was to become COMMAND failed. */
struct child_report {
    int status;           /* -1 while nothing failed */
    struct mcg_error err;
};

/* The process that becomes COMMAND: it restores the signal actions, joins
 * the job's groups unless the kernel started it there (only the child, so
 * the supervisor never enters them), drops to --user (only the child: the
 * supervisor stays root to remove the groups), and execs.  A failure is
 * left in `out`, which the supervisor reads in its own memory where the
 * child shares it, and else from `report_fd`. */
struct child_args {
    struct mcg_run *run;
    char **command;
    const struct mcg_creds *creds;
    const struct sigaction *saved;
    const sigset_t *old;
    int report_fd;      /* -1, or a pipe: the child was started in the job's
                           group as a fork (start_child_in) and joins nothing */
    struct child_report out;
};

#if defined(__SANITIZE_ADDRESS__)
#define MCG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MCG_ASAN 1
#endif
#endif
#ifndef MCG_ASAN
static char child_stack[256 * 1024] __attribute__((aligned(4096))); /* whole pages: madvise */
#endif

static int child_main(void *p)
{
    struct child_args *a = p;
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded[i], &a->saved[i], NULL);
    sigprocmask(SIG_SETMASK, a->old, NULL);
    if (a->report_fd >= 0)
        mcg_mark_exec(a->report_fd);
    int status = a->report_fd < 0 && mcg_join_planned(a->run, getpid(), &a->out.err) < 0
                     ? MCG_EXIT_FAILURE
                     : mcg_become_command(a->creds, a->command, &a->out.err);
    a->out.status = status;
    if (a->report_fd >= 0) {
        /* (one write below PIPE_BUF: whole or not at all) */
        if (write(a->report_fd, &a->out, sizeof(a->out)) < 0) {
            /* the supervisor then sees no report: the exit status tells */
        }
    }
    _exit(status);
}

/* How long a job runs before the supervisor gives back its memory. */
#define SHED_AFTER 0.1 /* seconds */

/* On cgroup v2, start COMMAND's process in the job's group (clone3 with
 * CLONE_INTO_CGROUP, Linux 5.7), as systemd and crun do: a process moved
 * by writing cgroup.procs takes cgroup_threadgroup_rwsem for writing, which
 * waits for an RCU grace period (13 to 19 ms of the emulated guest's
 * supervised launch, the one write that dwarfed the others), while one
 * started there takes it only for reading; and it is charged to the job's
 * limits from its first instant, not to the supervisor's cgroup, whose
 * pids.max may have no room left for it.  As a fork (no CLONE_VM: a child
 * sharing our memory would need a stack switch that only assembly can do
 * with a raw clone3), waited for until it exec'd or died (CLONE_VFORK);
 * its failure comes back through a close-on-exec pipe into ca->out, where
 * a child sharing our memory leaves its own.  Returns the pid, or -2 where
 * the kernel would not start it there (no clone3 under an older kernel or
 * a seccomp filter such as Docker's default, or a refusal the write to
 * cgroup.procs meets too and then explains): the caller starts it as
 * before. */
static pid_t start_child_in(struct mcg_run *run, const char *dir, struct child_args *ca)
{
    int fds[2], cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0)
        return -2;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        close(cg);
        return -2;
    }
    struct clone_args args = { .flags = CLONE_INTO_CGROUP | CLONE_VFORK,
                               .exit_signal = SIGCHLD, .cgroup = (uint64_t)cg };
    ca->report_fd = fds[1];
    pid_t child = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    if (child == 0)
        child_main(ca);
    int e = errno;
    close(cg);
    close(fds[1]);
    ca->report_fd = -1;
    if (child < 0) {
        close(fds[0]);
        mcg_log(run, "the command joins %s itself (clone3 into it: %s)", dir, strerror(e));
        return -2;
    }
    /* What came back: nothing (the child died before its exec: charged
     * to the job's group from its first page, it can meet a tiny memory
     * limit there, where one sharing our memory met it only in the exec),
     * the byte written just before the exec (it ran, or died in the exec),
     * or that byte or not and then the failure. */
    char buf[1 + sizeof(struct child_report)];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(buf) && (n = read(fds[0], buf + got, sizeof(buf) - got)) != 0) {
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0)
            got += (size_t)n;
    }
    close(fds[0]);
    if (got >= sizeof(struct child_report)) {
        memcpy(&ca->out, buf + got - sizeof(ca->out), sizeof(ca->out));
    } else if (got == 0) {
        /* (how it ended, seen without reaping it: the caller reaps) */
        siginfo_t info = { 0 };
        waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT);
        const char *sig = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED
                              ? mcg_signal_name(info.si_status)
                              : NULL;
        if (sig)
            mcg_fail(&ca->out.err, "failed to execute %s: killed by %s before its exec",
                     ca->command[0], sig);
        else
            mcg_fail(&ca->out.err, "failed to execute %s: the process that was to become it "
                                   "ended before its exec", ca->command[0]);
        ca->out.status = MCG_EXIT_CANNOT_RUN;
    }
    return child;
}

/* Start COMMAND's process: in the job's group where the kernel can
 * (above), else as posix_spawn(3) does: the child shares our memory and we
 * wait until it has exec'd or died (CLONE_VM | CLONE_VFORK), which spares
 * copying the page tables of the policy's heap.  Either child calls only
 * what is safe there: no malloc, system calls, and a message into its own
 * record.  Returns the child's pid, or -1 with *status the exit status and
 * err why (the child failed before or at the exec). */
static pid_t start_child(struct mcg_run *run, char **command, const struct mcg_supervise_opts *o,
                         struct sigaction *saved, const sigset_t *old, int *status,
                         struct mcg_error *err)
{
    struct child_args ca = { .run = run, .command = command, .creds = o->creds,
                             .saved = saved, .old = old, .report_fd = -1,
                             .out = { .status = -1 } };
    const char *birth = mcg_planned_birth(run);
    pid_t child = birth ? start_child_in(run, birth, &ca) : -2;
    if (child == -2) {
#ifdef MCG_ASAN
        /* AddressSanitizer cannot follow a child onto a stack of its own:
         * vfork(), the same sharing on ours */
        child = vfork();
        if (child == 0)
            child_main(&ca);
#else
        child = clone(child_main, child_stack + sizeof(child_stack),
                      CLONE_VM | CLONE_VFORK | SIGCHLD, &ca);
        /* The child ran on this stack in our memory until its exec: the
         * pages it wrote are ours, dirty, for as long as the job runs.
         * Nothing of theirs is needed any more. */
        madvise(child_stack, sizeof(child_stack), MADV_DONTNEED);
#endif
    }
    if (child < 0) {
        mcg_fail_errno(err, errno, "clone");
        *status = MCG_EXIT_FAILURE;
        return -1;
    }
    if (ca.out.status >= 0) {
        *err = ca.out.err;
        waitpid(child, NULL, 0);
        *status = ca.out.status;
        return -1;
    }
    return child;
}

/* COMMAND did not start: say why (and where a memory limit it reached on
 * the way is the likely cause, which one), report it, undo the run. */
static int not_started(struct mcg_run *run, char **command, const struct mcg_supervise_opts *o,
                       const struct mcg_counters *before, int status, struct mcg_error *err)
{
    mcg_say_memory_limit(run, before, command[0], err);
    mcg_print_error(err);
    mcg_report_failure(run, o, command, status, err->msg);
    mcg_rollback(run);
    return status;
}

/* The stack below us.  The policy's VM ran deep there (mruby recurses in
 * C), and those pages stay ours, dirty, while the job runs: a third of
 * what the waiting supervisor holds.  Nothing lives below the stack
 * pointer (the ABI's red zone is the leaf's, and this is no leaf), so they
 * go back as the heap's free pages do; a margin stays for the calls and
 * signal handlers still to come, which get zeroed pages if they go deeper. */
static __attribute__((noinline)) int find_stack(uintptr_t *lo, uintptr_t *hi)
{
    char maps[8192];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, maps, sizeof(maps) - 1);

    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    maps[n] = '\0';
    for (char *line = maps; *line;) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = '\0';
        if (strstr(line, "[stack]") && sscanf(line, "%" SCNxPTR "-%" SCNxPTR, lo, hi) == 2)
            return 0;
        if (!eol)
            break;
        line = eol + 1;
    }
    return -1;
}

static void shed_stack(void)
{
    uintptr_t lo, hi;

    /* (found in a frame of its own, gone before the stack pointer is read) */
    if (find_stack(&lo, &hi) < 0)
        return;
    char here;
    uintptr_t sp = (uintptr_t)&here, end = (sp - 8192) & ~(uintptr_t)4095;
    if (sp > lo && sp < hi && end > lo)
        madvise((void *)lo, end - lo, MADV_DONTNEED);
}

/* What next_event waits on beside the signals: the pidfd of the service
 * whose end must end the job (mcg_unit_watch), or -1; the record's
 * pressure triggers (-1 for one that failed). */
struct watched {
    int unit;
    int trig[3];
    int ntrig;
};

/* The next of the forwarded signals or SIGCHLD (`set`, blocked), waiting
 * at most `w` seconds (w < 0: no limit): the signal; -1 with errno EAGAIN
 * at the deadline (or EINTR); 0 where the watched service ended first;
 * -2 where pressure trigger *fired fired (its fd is -1 in `wt` from then
 * on where the kernel said it will not fire again).  With nothing but
 * signals, sigtimedwait takes them; else a signalfd of the same set is
 * polled beside the rest, so that no signal is taken by a handler and
 * lost. */
static int next_event(const sigset_t *set, double w, struct watched *wt, int *sfd, int *fired)
{
    siginfo_t info;
    struct timespec ts = { (time_t)w, (long)((w - (double)(time_t)w) * 1e9) };
    struct pollfd p[5];
    int np = 0, any = wt->unit >= 0;

    for (int i = 0; i < wt->ntrig; i++)
        any |= wt->trig[i] >= 0;
    /* (were no signalfd to be had, the signals alone) */
    if (!any || (*sfd < 0 && (*sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0))
        return w >= 0 ? sigtimedwait(set, &info, &ts) : sigwaitinfo(set, &info);
    p[np++] = (struct pollfd){ .fd = *sfd, .events = POLLIN };
    p[np++] = (struct pollfd){ .fd = wt->unit, .events = POLLIN }; /* (ppoll skips fd -1) */
    for (int i = 0; i < wt->ntrig; i++)
        p[np++] = (struct pollfd){ .fd = wt->trig[i], .events = POLLPRI };
    int n = ppoll(p, (nfds_t)np, w >= 0 ? &ts : NULL, NULL);
    if (n == 0)
        errno = EAGAIN;
    if (n <= 0)
        return -1;
    struct signalfd_siginfo si;
    if ((p[0].revents & POLLIN) && read(*sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        return (int)si.ssi_signo;
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
        return 0;
    for (int i = 0; i < wt->ntrig; i++) {
        if (p[2 + i].revents & POLLERR)
            wt->trig[i] = -1; /* (its group is gone: it never fires again) */
        else if (p[2 + i].revents & POLLPRI) {
            *fired = i;
            return -2;
        }
    }
    errno = EINTR;
    return -1;
}

/* Cancel the job as --timeout does: its signal to the whole job, then
 * SIGKILL to what is left once the grace (seconds from now) ends. */
static void cancel_job(struct mcg_run *run, const struct mcg_supervise_opts *o, pid_t child,
                       struct mcg_report *r, double now, double *kill_at,
                       struct mcg_recorder *rec)
{
    char sig[16];

    if (o->timeout_signal == SIGKILL || o->kill_after <= 0) {
        mcg_record_event(rec, now, "kill", "SIGKILL");
        r->killed = kill_job(run, child);
        r->hard_killed = 1;
        return;
    }
    snprintf(sig, sizeof(sig), "SIG%s", sigabbrev_np(o->timeout_signal) ?: "?");
    mcg_record_event(rec, now, r->timed_out ? "timeout" : "cancel", sig);
    r->killed = signal_job(run, child, o->timeout_signal);
    *kill_at = now + o->kill_after;
}

/* Wait for COMMAND, forwarding the signals in `set`, timing it out, ending
 * it with the service it left (mcg_unit_watch), and once the job has
 * lasted SHED_AFTER giving back the heap and stack the policy run left (a
 * job that ends sooner would only pay for it). */
static void wait_for_child(struct mcg_run *run, const struct mcg_supervise_opts *o, pid_t child,
                           const sigset_t *set, const struct timespec *t0, struct mcg_report *r,
                           int *status, struct rusage *ru, struct mcg_recorder *rec)
{
    int shed = 0, terms = 0, sfd = -1, cancelled = 0, fired = -1;
    const char *unit = NULL;
    const int *trig;
    struct watched wt = { .unit = mcg_unit_watch(run, &unit),
                          .ntrig = mcg_record_triggers(rec, &trig) };
    for (int i = 0; i < wt.ntrig; i++)
        wt.trig[i] = trig[i];
    double kill_at = -1; /* seconds since the start: the grace's end */

    for (;;) {
        int sig;
        /* the next deadline, in seconds since the start: giving memory
         * back, the timeout, the end of its grace; none: wait for a
         * signal */
        double next = shed ? -1 : SHED_AFTER;
        if (o->timeout > 0 && !r->timed_out && (next < 0 || o->timeout < next))
            next = o->timeout;
        if (kill_at >= 0 && !r->hard_killed && (next < 0 || kill_at < next))
            next = kill_at;
        if (rec && (next < 0 || mcg_record_due(rec) < next))
            next = mcg_record_due(rec);
        double w = next >= 0 ? next - seconds_since(t0) : -1;
        sig = next_event(set, next >= 0 && w < 0 ? 0 : w, &wt, &sfd, &fired);
        if (sig == -2) {
            mcg_record_pressure(rec, fired, seconds_since(t0));
            continue;
        }
        if (sig == 0) {
            /* (once: the pidfd stays readable) */
            fprintf(stderr, "mcgexec: %s ended (its main process exited): ending the job, as "
                            "stopping the service would\n", unit);
            wt.unit = -1;
            cancelled = 1;
            if (!r->hard_killed)
                cancel_job(run, o, child, r, seconds_since(t0), &kill_at, rec);
            continue;
        }
        if (sig < 0) {
            if (errno != EAGAIN)
                continue;
            double now = seconds_since(t0);
            if (!shed && now >= SHED_AFTER) {
                /* The heap the policy run left.  (Dropping the clean file
                 * pages of the binary too lowered VmRSS and PSS by 1 MiB,
                 * but they stay in the page cache: nothing real was given
                 * back, so mcgexec no longer does it.) */
                malloc_trim(0);
                shed_stack();
                shed = 1;
            }
            if (rec && now >= mcg_record_due(rec))
                mcg_record_sample(rec, now);
            if (o->timeout > 0 && !r->timed_out && now >= o->timeout) {
                r->timed_out = 1;
                cancel_job(run, o, child, r, now, &kill_at, rec);
            } else if (kill_at >= 0 && !r->hard_killed && now >= kill_at) {
                mcg_record_event(rec, now, "kill", "SIGKILL");
                kill_job(run, child);
                r->hard_killed = 1;
            }
            continue;
        }
        if (sig == SIGCHLD) {
            if (wait4(child, status, WNOHANG, ru) == child) {
                /* timed out or cancelled, and COMMAND ended in its grace:
                 * what it left in the job's groups goes too */
                if ((r->timed_out || cancelled) && !r->hard_killed)
                    kill_job(run, 0); /* (child: reaped, its pid no longer ours) */
                break;
            }
            continue;
        }
        kill(child, sig);
        /* a second SIGINT or SIGTERM means now: end the whole job */
        if ((sig == SIGINT || sig == SIGTERM) && ++terms >= 2) {
            mcg_record_event(rec, seconds_since(t0), "kill", "SIGKILL");
            kill_job(run, child);
        }
        /* Slurm's scancel: TERM to mcgexec alone (a task of the step's,
         * the job is not), then after KillWait, KILL to every process of
         * the task's cgroup, mcgexec too, before it could remove its
         * groups.  So TERM starts --kill-after's grace, meant to be the
         * shorter, after which mcgexec ends the job and cleans up. */
        else if (sig == SIGTERM && mcg_owner_signals(run) && kill_at < 0 && !r->hard_killed) {
            cancelled = 1;
            mcg_record_event(rec, seconds_since(t0), "cancel", "SIGTERM");
            if (o->kill_after <= 0) {
                kill_job(run, child);
                r->hard_killed = 1;
            } else {
                kill_at = seconds_since(t0) + o->kill_after;
            }
        }
    }
    if (sfd >= 0)
        close(sfd);
}

/* The job died of `sig`: end mcgexec by the same signal, once the groups
 * are dealt with, as timeout(1) does.  A shell then sees 128+N as before,
 * and a service manager sees what it would have seen of COMMAND itself:
 * systemd takes death by SIGTERM from its own `systemctl stop` as a clean
 * stop, where exit status 143 would mark the unit failed.  No core dump of
 * mcgexec's own: the job's (if any) is the one that tells. */
static void die_as_job(int sig)
{
    struct rlimit no_core = { 0, 0 };
    sigset_t one;

    fflush(stdout);
    fflush(stderr);
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    /* a signal that does not end a process by default: the status instead */
}

/* A group of the job's that someone else removed while it ran (moving
 * its processes out first): said once; what the job used there is
 * missing from the report and the record. */
static void say_lost_group(const struct mcg_run *run)
{
    char dir[PATH_MAX];
    for (int c = 0; c < MCG_NCTRL; c++)
        if (mcg_job_dir(run, (enum mcg_ctrl)c, dir, sizeof(dir)) == 0 && access(dir, F_OK) < 0 &&
            errno == ENOENT) {
            mcg_warn("the job's group %s was removed while the job ran (not by mcgexec): what "
                     "the job used there is not known",
                     dir);
            return;
        }
}

int mcg_supervise(struct mcg_run *run, char **command, const struct mcg_supervise_opts *o)
{
    struct mcg_error err = { 0 };
    struct mcg_report r = { .command = command };
    struct mcg_counters before;
    struct timespec t0;
    sigset_t set, old;
    int status = 0;
    struct rusage ru = { 0 };
    FILE *stats = NULL;

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
    mcg_read_counters(run, &before, o->stats);
    fflush(stdout);
    fflush(stderr);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct mcg_recorder *rec = mcg_record_start(run, o);
    pid_t child = start_child(run, command, o, saved, &old, &status, &err);
    /* The VM is closed while COMMAND starts, not before: the child has
     * exec'd (or died) by now, and closing frees only memory (apply_policy
     * hands it over only where the policy left no child to wait for). */
    mcg_policy_close(o->vm);
    if (child >= 0)
        mcg_state_started(run); /* (the job holds its groups now) */
    if (child < 0) {
        r.wall = seconds_since(&t0);
        r.status = status;
        r.error = err.msg;
        json_decref(mcg_record_finish(rec, &r));
        return not_started(run, command, o, &before, status, &err);
    }
    /* COMMAND runs.  Step out of its groups (if the policy put mcgexec in
     * any). */
    mcg_leave(run);
    wait_for_child(run, o, child, &set, &t0, &r, &status, &ru, rec);
    r.wall = seconds_since(&t0);
    say_lost_group(run);
    mcg_collect_report(run, o, &before, &ru, status, &r);
    json_t *record = mcg_record_finish(rec, &r); /* (before the groups go) */
    mcg_say_outcome(o, &r);
    /* (the file was checked before the policy ran: mcg_prepare_stats) */
    if (o->stats && !(stats = mcg_open_stats(o, &err)))
        mcg_print_error(&err);
    if (stats)
        mcg_write_report(stats, run, o, &r, record);
    json_decref(record);
    if (o->rm)
        mcg_remove_created(run);
    else
        mcg_commit(run);
    if (r.signal && !r.timed_out)
        die_as_job(r.signal);
    return r.status;
}
