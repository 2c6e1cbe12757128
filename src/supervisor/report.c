/* The --stats report: the job's accounting read through the settings
 * table before and after the run (counters as differences), and written as
 * text or one JSON object; the lines that name a timeout or an OOM kill. */
#define _GNU_SOURCE
#include "supervisor/report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "settings/settings.h"
#include "render/summary.h"
#include "base/values.h"

/* The pressure files --stats reports, and the memory events. */
static const struct { enum mcg_ctrl ctrl; const char *name; } psi_of[] = {
    { MCG_CPU, "cpu" }, { MCG_MEMORY, "memory" }, { MCG_BLKIO, "io" },
};
static const char *const psi_kinds[2] = { "some", "full" };
static const char *const event_keys[5] = { "low", "high", "max", "oom", "oom_kill" };

char *mcg_job_reading_text(struct mcg_run *run, enum mcg_ctrl c, const char *method)
{
    const struct mcg_setting *s = mcg_setting_find(c, method);
    struct mcg_error err = { 0 };
    char dir[PATH_MAX], *text = NULL;

    if (!s || mcg_job_dir(run, c, dir, sizeof(dir)) < 0 ||
        mcg_read_setting(run, dir, s, &text, &err) < 0)
        return NULL;
    return text;
}

int64_t mcg_job_reading(struct mcg_run *run, enum mcg_ctrl c, const char *method)
{
    char *text = mcg_job_reading_text(run, c, method);
    const char *why;
    int64_t v;

    if (!text)
        return -1;
    int r = mcg_parse_int(text, &v, &why);
    free(text);
    return r < 0 ? -1 : v;
}

/* Pressure totals and memory events; -1 for what the kernel does not give. */
static void read_pressure_events(struct mcg_run *run, struct mcg_counters *c)
{
    for (size_t i = 0; i < 3; i++) {
        char *text = mcg_job_reading_text(run, psi_of[i].ctrl, "pressure");
        for (int k = 0; k < 2; k++)
            if (!text || mcg_pressure_total(text, psi_kinds[k], &c->psi[i][k]) < 0)
                c->psi[i][k] = -1;
        free(text);
    }
    char *text = mcg_job_reading_text(run, MCG_MEMORY, "events");
    for (size_t k = 0; k < 5; k++)
        if (!text || mcg_keyed_value(text, event_keys[k], &c->events[k]) < 0)
            c->events[k] = -1;
    free(text);
}

static void cpu_ticks(struct mcg_run *run, int64_t *user, int64_t *sys)
{
    char *text = mcg_job_reading_text(run, MCG_CPUACCT, "stat");

    *user = *sys = -1;
    if (!text)
        return;
    if (mcg_keyed_value(text, "user", user) < 0 || mcg_keyed_value(text, "system", sys) < 0)
        *user = *sys = -1;
    free(text);
}

/* Every counter unknown (-1). */
static void unknown_counters(struct mcg_counters *c)
{
    c->oom_kills = c->limit_hits = c->throttled = c->throttled_ns = -1;
    c->io_read = c->io_write = c->user_ticks = c->system_ticks = -1;
    for (size_t i = 0; i < sizeof(c->psi) / sizeof(c->psi[0]); i++)
        c->psi[i][0] = c->psi[i][1] = -1;
    for (size_t i = 0; i < sizeof(c->events) / sizeof(c->events[0]); i++)
        c->events[i] = -1;
}

/* All the counters for --stats; without it only what naming an OOM kill
 * needs (each reading is a file read on the way to COMMAND). */
void mcg_read_counters(struct mcg_run *run, struct mcg_counters *c, int all)
{
    unknown_counters(c);
    c->oom_kills = mcg_job_reading(run, MCG_MEMORY, "oom_kill");
    /* (whose limit an OOM kill came from) */
    c->limit_hits = mcg_job_reading(run, MCG_MEMORY, "failcnt");
    if (!all)
        return;
    read_pressure_events(run, c);
    c->throttled = mcg_job_reading(run, MCG_CPU, "nr_throttled");
    c->throttled_ns = mcg_job_reading(run, MCG_CPU, "throttled_time");
    c->io_read = mcg_job_reading(run, MCG_BLKIO, "read_bytes");
    c->io_write = mcg_job_reading(run, MCG_BLKIO, "write_bytes");
    cpu_ticks(run, &c->user_ticks, &c->system_ticks);
}

static int64_t delta(int64_t before, int64_t after)
{
    return before < 0 || after < 0 ? -1 : after - before;
}

static void put_int(json_t *o, const char *key, int64_t v)
{
    json_object_set_new(o, key, v < 0 ? json_null() : json_integer(v));
}

static json_t *report_json(struct mcg_run *run, const struct mcg_report *r)
{
    json_t *o = json_object(), *cmd = json_array(), *groups = json_object();

    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
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
    json_t *psi = json_object(), *events = json_object();
    for (size_t i = 0; i < 3; i++) {
        json_t *one = json_object();
        put_int(one, "some_us", r->d.psi[i][0]);
        put_int(one, "full_us", r->d.psi[i][1]);
        json_object_set_new(psi, psi_of[i].name, one);
    }
    json_object_set_new(o, "psi", psi);
    for (size_t k = 0; k < 5; k++)
        put_int(events, event_keys[k], r->d.events[k]);
    json_object_set_new(o, "memory_events", events);
    for (int c = 0; run && c < MCG_NCTRL; c++) {
        char dir[PATH_MAX];
        if (mcg_job_dir(run, c, dir, sizeof(dir)) == 0)
            json_object_set_new(groups, mcg_ctrl_name(c), json_string(dir));
    }
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "cgroup_version",
                        !run || mcg_layout_found(run) == MCG_LAYOUT_NONE
                            ? json_null()
                            : json_integer(mcg_is_v2(run) ? 2 : 1));
    return o;
}

static const char *bytes_or_na(int64_t v, char *buf, size_t len)
{
    if (v < 0)
        return "n/a";
    mcg_format_bytes(v, buf, len);
    return buf;
}

/* "pressure: cpu some 0.012 s, full 0.000 s; memory ..." and "memory events:
 * low 0, high 12, ...": one line each, what the kernel gave. */
static void report_pressure_events(FILE *f, const struct mcg_report *r)
{
    const char *sep = "mcgexec:   pressure: ";
    for (size_t i = 0; i < 3; i++) {
        if (r->d.psi[i][0] < 0)
            continue;
        fprintf(f, "%s%s some %.3f s", sep, psi_of[i].name, (double)r->d.psi[i][0] / 1e6);
        if (r->d.psi[i][1] >= 0)
            fprintf(f, ", full %.3f s", (double)r->d.psi[i][1] / 1e6);
        sep = "; ";
    }
    if (sep[0] == ';')
        fputc('\n', f);
    sep = "mcgexec:   memory events: ";
    for (size_t k = 0; k < 5; k++) {
        if (r->d.events[k] < 0)
            continue;
        fprintf(f, "%s%s %" PRId64, sep, event_keys[k], r->d.events[k]);
        sep = ", ";
    }
    if (sep[0] == ',')
        fputc('\n', f);
}

static void report_text(FILE *f, const struct mcg_report *r)
{
    char a[64], b[64];

    if (r->error) {
        fprintf(f, "mcgexec: %s did not run (status %d): %s\n", r->command[0], r->status,
                r->error);
        return;
    }
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
    report_pressure_events(f, r);
}

FILE *mcg_open_output(const char *path, const char *what, struct mcg_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f)
        mcg_fail_errno(err, errno, "cannot write %s to %s", what, path);
    return f;
}

FILE *mcg_open_stats(const struct mcg_supervise_opts *o, struct mcg_error *err)
{
    return o->stats_file ? mcg_open_output(o->stats_file, "stats", err) : stderr;
}

/* The job's memory limit in bytes; -1 for none (or none to read). */
static int64_t memory_limit(struct mcg_run *run)
{
    int64_t limit = mcg_job_reading(run, MCG_MEMORY, "limit_in_bytes");
    return limit >= (INT64_C(1) << 62) ? -1 : limit; /* v1's "no limit" */
}

/* " (512.0 MiB)" for a limit, "" for none: how messages name it. */
static void limit_in_parens(int64_t limit, char *buf, size_t len)
{
    char size[48];

    buf[0] = '\0';
    if (limit >= 0) {
        mcg_format_bytes(limit, size, sizeof(size));
        snprintf(buf, len, " (%s)", size);
    }
}

int mcg_prepare_output(const char *path, const char *what, struct mcg_error *err)
{
    struct stat sb;
    int existed = lstat(path, &sb) == 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (fd < 0)
        return mcg_fail_errno(err, errno, "cannot write %s to %s", what, path);
    close(fd);
    /* only a regular file: /dev/stdout, a FIFO or a link stay as they are */
    if ((!existed || S_ISREG(sb.st_mode)) && unlink(path) < 0)
        return mcg_fail_errno(err, errno, "cannot replace the %s in %s", what, path);
    return 0;
}

int mcg_prepare_stats(const struct mcg_supervise_opts *o, struct mcg_error *err)
{
    if ((o->stats && o->stats_file && mcg_prepare_output(o->stats_file, "stats", err) < 0) ||
        (o->record_file && mcg_prepare_output(o->record_file, "the record", err) < 0) ||
        (o->plot_file && mcg_prepare_output(o->plot_file, "the picture", err) < 0))
        return -1;
    return 0;
}

void mcg_report_failure(struct mcg_run *run, const struct mcg_supervise_opts *o, char **command,
                        int status, const char *error)
{
    struct mcg_error err = { 0 };
    struct mcg_report r = { .command = command, .status = status, .error = error,
                        .cpu_source = "none", .memory_source = "none",
                        .mem_peak = -1, .mem_limit = -1, .tasks_peak = -1 };
    FILE *f;

    /* (on stderr, the error line said it all) */
    if (!o->stats || !o->stats_file || !*command)
        return;
    unknown_counters(&r.d);
    if (!(f = mcg_open_stats(o, &err))) {
        mcg_print_error(&err);
        return;
    }
    mcg_write_report(f, run, o, &r, NULL);
}

void mcg_say_memory_limit(struct mcg_run *run, const struct mcg_counters *before,
                          const char *command, struct mcg_error *err)
{
    struct mcg_counters after;
    char dir[PATH_MAX], lim[64];
    size_t n = strlen(err->msg);

    if (mcg_job_dir(run, MCG_MEMORY, dir, sizeof(dir)) < 0 ||
        (!before && !mcg_created_here(run, dir)))
        return;
    mcg_read_counters(run, &after, 0);
    int64_t hits = before ? delta(before->limit_hits, after.limit_hits) : after.limit_hits;
    int64_t kills = before ? delta(before->oom_kills, after.oom_kills) : after.oom_kills;
    if (hits <= 0 && kills <= 0)
        return;
    limit_in_parens(memory_limit(run), lim, sizeof(lim));
    snprintf(err->msg + n, sizeof(err->msg) - n,
             " (group %.200s reached its memory limit%s before %.64s could start)",
             mcg_group_name_of(run, MCG_MEMORY, dir), lim, command);
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

/* What the run cost, from the groups' accounting (rusage where a group
 * has none), and how COMMAND ended. */
void mcg_collect_report(struct mcg_run *run, const struct mcg_supervise_opts *o,
                           const struct mcg_counters *before, const struct rusage *ru, int status,
                           struct mcg_report *r)
{
    struct mcg_counters after;

    mcg_read_counters(run, &after, o->stats);
    r->d.oom_kills = delta(before->oom_kills, after.oom_kills);
    r->d.limit_hits = delta(before->limit_hits, after.limit_hits);
    r->d.throttled = delta(before->throttled, after.throttled);
    r->d.throttled_ns = delta(before->throttled_ns, after.throttled_ns);
    r->d.io_read = delta(before->io_read, after.io_read);
    r->d.io_write = delta(before->io_write, after.io_write);
    for (size_t i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++)
            r->d.psi[i][k] = delta(before->psi[i][k], after.psi[i][k]);
    for (size_t k = 0; k < 5; k++)
        r->d.events[k] = delta(before->events[k], after.events[k]);
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
        r->mem_peak = mcg_job_reading(run, MCG_MEMORY, "max_usage_in_bytes");
        r->memory_source = "cgroup";
        if (r->mem_peak < 0) {
            r->mem_peak = (int64_t)ru->ru_maxrss * 1024;
            r->memory_source = "rusage";
        }
        r->tasks_peak = tasks_peak(run);
    }
    if (o->stats || r->d.oom_kills > 0)
        r->mem_limit = memory_limit(run);
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
void mcg_say_outcome(const struct mcg_supervise_opts *o, const struct mcg_report *r)
{
    const char *cmd = r->command[0];

    if (r->timed_out) {
        char name[32];
        const char *known = mcg_signal_name(o->timeout_signal);
        if (known)
            snprintf(name, sizeof(name), "%s", known);
        else
            snprintf(name, sizeof(name), "signal %d", o->timeout_signal);
        if (o->timeout_signal == SIGKILL || o->kill_after <= 0)
            fprintf(stderr, "mcgexec: %s timed out after %g s: killed it%s\n", cmd, o->timeout,
                    r->killed ? " and every process in its groups" : "");
        else if (r->hard_killed)
            fprintf(stderr, "mcgexec: %s timed out after %g s: sent %s to it%s, then SIGKILL "
                            "after %g s more\n", cmd, o->timeout, name,
                    r->killed ? " and every process in its groups" : "", o->kill_after);
        else
            fprintf(stderr, "mcgexec: %s timed out after %g s: sent %s to it%s; it ended within "
                            "the %g s it had before SIGKILL\n", cmd, o->timeout, name,
                    r->killed ? " and every process in its groups" : "", o->kill_after);
    } else if (r->oom_killed) {
        char lim[64];
        limit_in_parens(r->mem_limit, lim, sizeof(lim));
        if (r->d.limit_hits == 0) /* the group's own limit was never reached */
            fprintf(stderr, "mcgexec: %s was killed by the OOM killer: group %s stayed under "
                            "its own memory limit%s, so a limit above it (its unit's, a parent "
                            "group's) or the host's memory ran out\n", cmd, r->memgroup, lim);
        else
            fprintf(stderr, "mcgexec: %s was killed by the OOM killer: group %s reached its "
                            "memory limit%s\n", cmd, r->memgroup, lim);
    }
    if (!r->oom_killed && r->d.oom_kills > 0)
        fprintf(stderr, "mcgexec: the OOM killer killed %" PRId64 " process%s in group %s\n",
                r->d.oom_kills, r->d.oom_kills == 1 ? "" : "es", r->memgroup);
}

void mcg_write_report(FILE *stats, struct mcg_run *run, const struct mcg_supervise_opts *o,
                      const struct mcg_report *r, const json_t *record)
{
    json_t *j = o->format == MCG_STATS_TEXT ? NULL : report_json(run, r);

    switch (o->format) {
    case MCG_STATS_JSON:
        json_dumpf(j, stats, JSON_COMPACT | JSON_REAL_PRECISION(9));
        fputc('\n', stats);
        break;
    case MCG_STATS_MARKDOWN:
        mcg_summary_markdown(stats, j, record);
        break;
    case MCG_STATS_OPENMETRICS:
        mcg_summary_openmetrics(stats, j);
        break;
    default:
        report_text(stats, r);
    }
    json_decref(j);
    if (stats != stderr)
        fclose(stats);
    else
        fflush(stderr);
}

