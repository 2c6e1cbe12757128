/* mcgexec-systemd: the D-Bus half of the systemd manager (src/core/systemd.c).
 *
 * mcgexec is linked statically by default, and a static program cannot
 * load libsystemd safely: glibc's dlopen from a static program needs the
 * very glibc it was linked with at run time (and says so at link time).
 * So the conversation with systemd lives in this small program, linked
 * dynamically against libsystemd (sd-bus) the ordinary way, and mcgexec
 * runs it only where it asks systemd for something.
 *
 *   mcgexec-systemd start-scope UNIT SLICE PID DESCRIPTION KILL_SIGNAL STOP_USEC BINDS_TO
 *
 * asks systemd for a transient scope UNIT in SLICE that holds process PID,
 * with Delegate=yes (what runc and crun ask for a container), and waits
 * until systemd has started it: moved PID into the scope's cgroup, which
 * mcgexec then reads in /proc/self/cgroup; prints "started" (or, where
 * PID, its parent, has died meanwhile, stops the scope, which would stay
 * empty for good).  Stopping the
 * scope sends KILL_SIGNAL, then SIGKILL after STOP_USEC (mcgexec's
 * --timeout-signal and --kill-after: a stop is a cancellation); BINDS_TO,
 * unless "-", is the unit the scope is bound to (BindsTo=): the service
 * mcgexec was started in, whose stop then stops the scope.
 *
 *   mcgexec-systemd unit UNIT
 *
 * prints "DELEGATE MAINPID CONTROLPID" ("no 812 0"): the Delegate
 * property of service or scope UNIT, for the cgroups that carry no
 * delegation mark (systemd before 251 sets none), and a service's main
 * and control processes (0 for none, and for a scope), by which mcgexec
 * tells the service's own program from a job in its process tree.  It
 * changes nothing, so a dry run asks it too.
 *
 *   mcgexec-systemd control-group [UNIT]
 *
 * prints the manager's own cgroup (its ControlGroup property): where a dry
 * run plans the user manager's scope; with UNIT (a scope, slice or service),
 * that unit's cgroup, or "-" where the unit is not loaded or has none
 * (not running): where the reclaim looks for a scope a dead run was
 * starting.
 *
 * With --user RUNTIME_DIR first, each asks the user's own manager
 * (user@UID.service) instead of PID 1: over its private socket,
 * RUNTIME_DIR/systemd/private, as systemd-run --user does, so no session
 * D-Bus daemon is needed; the peer must be the caller or root.
 *
 * Exit status 0 on success; otherwise 1 and one line on stderr saying what
 * systemd answered.  It is never installed setuid nor with capabilities:
 * it asks only what its caller may ask. */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

/* How long systemd may take to start the scope. */
#define START_TIMEOUT_USEC (30ULL * 1000 * 1000)

static int fail(const char *what, int r, const sd_bus_error *e)
{
    if (e && sd_bus_error_is_set(e))
        fprintf(stderr, "%s: %s\n", what, e->message ? e->message : e->name);
    else
        fprintf(stderr, "%s: %s\n", what, strerror(r < 0 ? -r : r));
    return 1;
}

/* The user manager's runtime directory (--user), or NULL for PID 1. */
static const char *user_dir;

/* A direct connection to a manager's private socket. */
static int open_private(sd_bus **bus, const char *address)
{
    int r = sd_bus_new(bus);
    if (r >= 0)
        r = sd_bus_set_address(*bus, address);
    if (r >= 0)
        r = sd_bus_start(*bus);
    if (r < 0)
        *bus = sd_bus_unref(*bus);
    return r;
}

/* The user manager's socket lives in a directory the user owns; whoever
 * answers on it must be that user (or root), as systemd-run checks. */
static int check_peer(sd_bus *bus)
{
    struct ucred peer;
    socklen_t len = sizeof(peer);

    if (getsockopt(sd_bus_get_fd(bus), SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
        return -errno;
    return peer.uid == 0 || peer.uid == geteuid() ? 0 : -EPERM;
}

/* As root, systemd's private socket, as systemctl and systemd-run use it:
 * no dbus-daemon in between, and there before dbus has started; otherwise
 * the system bus.  With --user, the user manager's private socket. */
static int open_bus(sd_bus **bus, int *private_bus)
{
    char address[4200];
    int r;

    *private_bus = 1;
    if (user_dir) {
        if (snprintf(address, sizeof(address), "unix:path=%s/systemd/private", user_dir) >=
            (int)sizeof(address))
            return -ENAMETOOLONG;
        if ((r = open_private(bus, address)) < 0)
            return r;
        if ((r = check_peer(*bus)) < 0)
            *bus = sd_bus_flush_close_unref(*bus);
        return r;
    }
    if (geteuid() == 0 && access("/run/systemd/private", F_OK) == 0 &&
        open_private(bus, "unix:path=/run/systemd/private") >= 0)
        return 0;
    *private_bus = 0;
    return sd_bus_open_system(bus);
}

struct job_wait {
    char *job;      /* the start job's object path, once systemd named it */
    char *result;   /* its result, once removed: "done", "failed", ... */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
    struct job_wait *w = userdata;
    const char *path, *unit, *result;
    uint32_t id;

    (void)e;
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
        return 0;
    if (w->job && !w->result && strcmp(path, w->job) == 0)
        w->result = strdup(result);
    return 0;
}

/* What the scope is asked to be (start_scope's arguments). */
struct scope_props {
    const char *slice, *description, *binds_to;
    uint32_t pid;
    int32_t kill_signal;
    uint64_t stop_usec;
};

static int append_props(sd_bus_message *m, const struct scope_props *p)
{
    int r = sd_bus_message_open_container(m, 'a', "(sv)");
    if (r >= 0)
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s",
                                  p->description, "Slice", "s", p->slice, "Delegate", "b", 1,
                                  "PIDs", "au", 1, p->pid, "CollectMode", "s",
                                  "inactive-or-failed", "KillSignal", "i", p->kill_signal,
                                  "TimeoutStopUSec", "t", p->stop_usec);
    /* (no After=: a oneshot service is "activating" while its job runs,
     * and the scope's start would wait for that to end) */
    if (r >= 0 && p->binds_to)
        r = sd_bus_message_append(m, "(sv)", "BindsTo", "as", 1, p->binds_to);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    if (r >= 0) /* no auxiliary units */
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
    return r;
}

/* Wait for JobRemoved of w->job. */
static int wait_job(sd_bus *bus, struct job_wait *w)
{
    struct timespec t0, now;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!w->result) {
        int r = sd_bus_process(bus, NULL);
        if (r < 0)
            return r;
        if (r > 0)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t spent = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000000 +
                         (uint64_t)((now.tv_nsec - t0.tv_nsec) / 1000);
        if (spent >= START_TIMEOUT_USEC)
            return -ETIMEDOUT;
        r = sd_bus_wait(bus, START_TIMEOUT_USEC - spent);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The D-Bus interface that holds a unit's cgroup properties, by its type. */
static const char *unit_iface(const char *unit)
{
    const char *dot = strrchr(unit, '.');

    if (dot && strcmp(dot, ".scope") == 0)
        return "org.freedesktop.systemd1.Scope";
    if (dot && strcmp(dot, ".slice") == 0)
        return "org.freedesktop.systemd1.Slice";
    return "org.freedesktop.systemd1.Service";
}

/* Service or scope `unit`'s Delegate property, and a service's main and
 * control processes.  0, or -1 with the reason printed. */
static int unit_info(sd_bus *bus, const char *unit, int *delegate, uint32_t *main_pid,
                     uint32_t *control_pid)
{
    sd_bus_error e = SD_BUS_ERROR_NULL;
    char *path = NULL;
    const char *iface = unit_iface(unit);
    int scope = strcmp(iface, "org.freedesktop.systemd1.Scope") == 0;
    int r = sd_bus_path_encode(SD_PATH "/unit", unit, &path);

    *delegate = 0;
    *main_pid = *control_pid = 0;
    if (r >= 0)
        r = sd_bus_get_property_trivial(bus, SD_DEST, path, iface, "Delegate", &e, 'b', delegate);
    if (r >= 0 && !scope)
        r = sd_bus_get_property_trivial(bus, SD_DEST, path, iface, "MainPID", &e, 'u', main_pid);
    if (r >= 0 && !scope)
        r = sd_bus_get_property_trivial(bus, SD_DEST, path, iface, "ControlPID", &e, 'u',
                                        control_pid);
    if (r < 0)
        fail(unit, r, &e);
    sd_bus_error_free(&e);
    free(path);
    return r < 0 ? -1 : 0;
}

/* StopUnit UNIT (mode replace), not waited for: the reclaim's, for a
 * dead run's scope that systemd keeps although it is empty. */
static int stop_unit(const char *unit)
{
    sd_bus *bus = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int private_bus, r = open_bus(&bus, &private_bus);

    if (r < 0)
        return fail(user_dir ? "cannot connect to the user manager" : "cannot connect to systemd's bus",
                    r, NULL);
    r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &e, NULL, "ss", unit,
                           "replace");
    if (r < 0)
        fail("StopUnit", r, &e);
    else
        printf("stopped\n");
    sd_bus_error_free(&e);
    sd_bus_flush_close_unref(bus);
    return r < 0 ? 1 : fflush(stdout) == 0 ? 0 : 1;
}

static int print_unit(const char *unit)
{
    sd_bus *bus = NULL;
    uint32_t main_pid, control_pid;
    int delegate, private_bus, r = open_bus(&bus, &private_bus);

    if (r < 0)
        return fail(user_dir ? "cannot connect to the user manager" : "cannot connect to systemd's bus",
                    r, NULL);
    r = unit_info(bus, unit, &delegate, &main_pid, &control_pid);
    sd_bus_flush_close_unref(bus);
    if (r < 0)
        return 1;
    printf("%s %" PRIu32 " %" PRIu32 "\n", delegate ? "yes" : "no", main_pid, control_pid);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* UNIT's ControlGroup into *cg: "" where systemd has no such unit loaded
 * (GetUnit, unlike the unit's object path, does not load one). */
static int unit_control_group(sd_bus *bus, const char *unit, char **cg, sd_bus_error *e)
{
    sd_bus_message *reply = NULL;
    const char *path;
    const char *iface = unit_iface(unit);
    int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", e, &reply, "s", unit);

    if (r < 0 && sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit")) {
        sd_bus_error_free(e);
        *cg = strdup("");
        return *cg ? 0 : -ENOMEM;
    }
    if (r >= 0)
        r = sd_bus_message_read(reply, "o", &path);
    if (r >= 0)
        r = sd_bus_get_property_string(bus, SD_DEST, path, iface, "ControlGroup", e, cg);
    sd_bus_message_unref(reply);
    return r;
}

static int control_group(const char *unit)
{
    sd_bus *bus = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    char *cg = NULL;
    int private_bus, r = open_bus(&bus, &private_bus);

    if (r < 0)
        return fail(user_dir ? "cannot connect to the user manager" : "cannot connect to systemd's bus",
                    r, NULL);
    if (unit)
        r = unit_control_group(bus, unit, &cg, &e);
    else
        r = sd_bus_get_property_string(bus, SD_DEST, SD_PATH, SD_MANAGER, "ControlGroup", &e, &cg);
    if (r < 0)
        fail("ControlGroup", r, &e);
    else if (unit)
        printf("%s\n", cg[0] ? cg : "-");
    else
        printf("%s\n", cg[0] ? cg : "/");
    free(cg);
    sd_bus_error_free(&e);
    sd_bus_flush_close_unref(bus);
    return r < 0 || fflush(stdout) != 0 ? 1 : 0;
}

/* The StartTransientUnit call; the job's path into w->job.  0, or 1
 * with the reason printed. */
static int call_start(sd_bus *bus, const char *unit, const struct scope_props *p,
                      struct job_wait *w)
{
    sd_bus_message *m = NULL, *reply = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    const char *job;
    int ret = 1;
    int r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
                                           "StartTransientUnit");

    if (r >= 0)
        r = sd_bus_message_append(m, "ss", unit, "fail");
    if (r >= 0)
        r = append_props(m, p);
    if (r < 0)
        fail("cannot build the StartTransientUnit call", r, NULL);
    else if ((r = sd_bus_call(bus, m, 0, &e, &reply)) < 0)
        fail("StartTransientUnit", r, &e);
    else if ((r = sd_bus_message_read(reply, "o", &job)) < 0 || !(w->job = strdup(job)))
        fail("StartTransientUnit's reply", r < 0 ? r : -ENOMEM, NULL);
    else
        ret = 0;
    sd_bus_error_free(&e);
    sd_bus_message_unref(reply);
    sd_bus_message_unref(m);
    return ret;
}

static int start_scope(const char *unit, const struct scope_props *p)
{
    sd_bus *bus = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    struct job_wait w = { NULL, NULL };
    int ret = 1, r, private_bus;

    if ((r = open_bus(&bus, &private_bus)) < 0)
        return fail(user_dir ? "cannot connect to the user manager" : "cannot connect to systemd's bus",
                    r, NULL);
    /* match before the call: the job may end before its reply is read */
    r = sd_bus_match_signal(bus, NULL, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                            on_job_removed, &w);
    if (r < 0) {
        fail("cannot watch systemd's jobs", r, NULL);
        goto out;
    }
    /* systemd signals job ends on the system bus only to subscribers
     * (direct connections, its private socket, get them all) */
    if (!private_bus &&
        (r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL, NULL)) < 0) {
        fail("Subscribe", r, &e);
        goto out;
    }
    if (call_start(bus, unit, p, &w) != 0)
        goto out;
    if ((r = wait_job(bus, &w)) < 0) {
        fail(r == -ETIMEDOUT ? "the scope's start job did not end in 30 s"
                             : "waiting for the scope's start job", r, NULL);
        goto out;
    }
    if (strcmp(w.result, "done") != 0) {
        fprintf(stderr, "systemd's job starting %s ended '%s' (journalctl -u %s says why)\n",
                unit, w.result, unit);
        goto out;
    }
    /* mcgexec (our parent, PID) may have died, by SIGKILL, before systemd
     * moved it: the scope is then empty from its start, and systemd, which
     * learns of a scope's end when its cgroup empties, would keep it
     * running for good.  With its parent gone, the helper stops it.  (A
     * parent dying just now still has its pid here: the kernel empties
     * its cgroup before it hands its children on.  mcgexec named the scope
     * in its state before asking, and the reclaim stops it then.) */
    if (getppid() != (pid_t)p->pid) {
        sd_bus_error_free(&e);
        if ((r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit", &e, NULL, "ss",
                                    unit, "replace")) < 0)
            fail("StopUnit", r, &e);
        fprintf(stderr, "mcgexec (pid %u) ended before %s started: stopped it\n",
                (unsigned)p->pid, unit);
        goto out;
    }
    printf("started\n");
    ret = fflush(stdout) == 0 ? 0 : 1;
out:
    free(w.job);
    free(w.result);
    sd_bus_error_free(&e);
    sd_bus_flush_close_unref(bus);
    return ret;
}

/* A decimal argument within [min, max], or -1 with the reason printed. */
static int number(const char *s, unsigned long long min, unsigned long long max,
                  unsigned long long *out)
{
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || *out < min || *out > max) {
        fprintf(stderr, "mcgexec-systemd: bad number '%s'\n", s);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--user") == 0) {
        user_dir = argv[2];
        argv[2] = argv[0];
        argv += 2;
        argc -= 2;
    }
    if (argc == 9 && strcmp(argv[1], "start-scope") == 0) {
        unsigned long long pid, sig, usec;
        if (number(argv[4], 1, UINT32_MAX, &pid) < 0 || number(argv[6], 1, 64, &sig) < 0 ||
            number(argv[7], 1, UINT64_MAX, &usec) < 0)
            return 2;
        struct scope_props p = { .slice = argv[3], .description = argv[5],
                                 .binds_to = strcmp(argv[8], "-") == 0 ? NULL : argv[8],
                                 .pid = (uint32_t)pid, .kill_signal = (int32_t)sig,
                                 .stop_usec = usec };
        return start_scope(argv[2], &p);
    }
    if (argc == 3 && strcmp(argv[1], "unit") == 0)
        return print_unit(argv[2]);
    if (argc == 3 && strcmp(argv[1], "stop") == 0)
        return stop_unit(argv[2]);
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "control-group") == 0)
        return control_group(argv[2]);
    int help = argc == 2 && strcmp(argv[1], "--help") == 0;
    fprintf(help ? stdout : stderr,
            "usage: mcgexec-systemd [--user RUNTIME_DIR] start-scope UNIT SLICE PID DESCRIPTION\n"
            "                           KILL_SIGNAL STOP_USEC BINDS_TO|-\n"
            "       mcgexec-systemd [--user RUNTIME_DIR] unit UNIT\n"
            "       mcgexec-systemd [--user RUNTIME_DIR] stop UNIT\n"
            "       mcgexec-systemd [--user RUNTIME_DIR] control-group [UNIT]\n"
            "(run by mcgexec's systemd manager; see man mcgexec, SYSTEMD)\n");
    return help ? 0 : 2;
}
