/* --record: the job's accounting over time (record.h says how the memory
 * stays fixed).  Each sample reads the job's groups through the settings
 * table, as --stats does (report.c), so that v1 and v2 give the same
 * record; what the kernel counts (CPU time, throttling, I/O bytes, stall
 * time, events) is kept as counters and becomes per-interval amounts when
 * written, what it only shows now (memory, pids) as the interval's
 * maximum.  Between two samples nothing that matters is lost: the memory
 * peak counter (memory.peak, v1 max_usage_in_bytes) lifts an interval's
 * maximum to the peak reached in it, and the event counters (OOM kills,
 * memory.high and memory.max hits) become events of that interval. */
#define _GNU_SOURCE
#include "supervisor/record.h"
#include "base/error.h"
#include "base/values.h"
#include "settings/settings.h"
#include "render/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What a reading holds: counters grow, gauges are a moment's value.  The
 * first NKEPT are kept in the buckets; the event counters and the peak
 * only turn readings into events and maxima.  -1: unknown. */
enum field {
    F_CPU_NS, F_USER_TICKS, F_SYS_TICKS, F_THR_PERIODS, F_THR_NS, F_IO_R, F_IO_W,
    F_PSI_CPU_SOME, F_PSI_CPU_FULL, F_PSI_MEM_SOME, F_PSI_MEM_FULL, F_PSI_IO_SOME, F_PSI_IO_FULL,
    F_MEM, F_ANON, F_FILE, F_PIDS, /* gauges from here */
    F_OOM_KILLS, F_HIGH_EVENTS, F_MAX_EVENTS, F_PEAK,
    NFIELDS
};
#define FIRST_GAUGE F_MEM
#define NKEPT F_OOM_KILLS

struct sample {
    double t;               /* seconds since the start */
    int64_t v[NFIELDS];
};

/* A bucket: the counters' amounts over it and the gauges' maximum in it,
 * as floats (NAN: unknown), so that the 1024 of them take 70 KiB: the
 * supervisor's own memory stays within twice timeout(1)'s. */
struct bucket {
    double t;               /* its end, seconds since the start */
    float v[NKEPT];
};

#define MAX_EVENTS 256

struct event {
    double t, since;        /* seen at t; happened after `since` */
    const char *kind;
    char detail[24];
    int64_t count;
};

struct mcg_recorder {
    struct mcg_run *run;
    const struct mcg_supervise_opts *o;
    struct timespec wall0;  /* the start, CLOCK_REALTIME */
    double interval, due;
    int fixed;              /* --interval: the sampling interval stays */
    double cost;            /* CPU seconds a sample takes, smoothed */
    unsigned long taken;    /* samples taken */
    int64_t mem_max, mem_high, quota_us, period_us, pids_max;
    struct sample last;     /* the latest reading (at first, the baseline) */
    size_t n;
    struct bucket s[MCG_RECORD_SLOTS];
    size_t nev, dropped;
    struct event ev[MAX_EVENTS];
    int ntrig;              /* pressure triggers: their fds and resources */
    int trig_fd[3];
    const char *trig_name[3];
};

/* A trigger on the job's pressure file of controller c, or -1.  The
 * window is 2 s, the shortest an unprivileged user may set; the kernel
 * fires at most once a window. */
static int open_trigger(struct mcg_run *run, enum mcg_ctrl c)
{
    static const char trigger[] = "some 200000 2000000";
    const struct mcg_setting *s = mcg_setting_find(c, "pressure");
    const char *off = getenv("MCGEXEC_PSI_TRIGGERS");
    char dir[4096], path[4200];

    if ((off && strcmp(off, "0") == 0) || !s || !s->file2 || !mcg_is_v2(run) ||
        mcg_job_dir(run, c, dir, sizeof(dir)) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", dir, s->file2);
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && write(fd, trigger, sizeof(trigger)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int64_t limit_of(struct mcg_run *run, enum mcg_ctrl c, const char *method)
{
    int64_t v = mcg_job_reading(run, c, method);
    return v >= (INT64_C(1) << 62) ? -1 : v; /* v1's "no limit" */
}

static void read_sample(struct mcg_recorder *rec, double now, struct sample *s)
{
    struct mcg_counters c;

    mcg_read_counters(rec->run, &c, 1);
    s->t = now;
    s->v[F_CPU_NS] = mcg_job_reading(rec->run, MCG_CPUACCT, "usage");
    s->v[F_USER_TICKS] = c.user_ticks;
    s->v[F_SYS_TICKS] = c.system_ticks;
    s->v[F_THR_PERIODS] = c.throttled;
    s->v[F_THR_NS] = c.throttled_ns;
    s->v[F_IO_R] = c.io_read;
    s->v[F_IO_W] = c.io_write;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++)
            s->v[F_PSI_CPU_SOME + 2 * i + k] = c.psi[i][k];
    s->v[F_OOM_KILLS] = c.oom_kills;
    s->v[F_HIGH_EVENTS] = c.events[1];
    s->v[F_MAX_EVENTS] = c.events[2];
    s->v[F_PEAK] = mcg_job_reading(rec->run, MCG_MEMORY, "max_usage_in_bytes");
    s->v[F_MEM] = mcg_job_reading(rec->run, MCG_MEMORY, "usage_in_bytes");
    s->v[F_ANON] = mcg_job_reading(rec->run, MCG_MEMORY, "anon_bytes");
    s->v[F_FILE] = mcg_job_reading(rec->run, MCG_MEMORY, "file_bytes");
    s->v[F_PIDS] = mcg_job_reading(rec->run, MCG_PIDS, "current");
}

struct mcg_recorder *mcg_record_start(struct mcg_run *run, const struct mcg_supervise_opts *o)
{
    /* (Markdown's sparklines are drawn from a record too) */
    if (!o->record_file && !o->plot_file && !(o->stats && o->format == MCG_STATS_MARKDOWN))
        return NULL;
    struct mcg_recorder *rec = calloc(1, sizeof(*rec));
    if (!rec)
        abort();
    rec->run = run;
    rec->o = o;
    clock_gettime(CLOCK_REALTIME, &rec->wall0);
    rec->fixed = o->interval > 0;
    rec->interval = rec->fixed ? o->interval : MCG_RECORD_FIRST_INTERVAL;
    rec->due = rec->interval;
    rec->mem_max = limit_of(run, MCG_MEMORY, "limit_in_bytes");
    rec->mem_high = limit_of(run, MCG_MEMORY, "high");
    rec->quota_us = mcg_job_reading(run, MCG_CPU, "cfs_quota_us");
    rec->period_us = mcg_job_reading(run, MCG_CPU, "cfs_period_us");
    rec->pids_max = limit_of(run, MCG_PIDS, "max");
    read_sample(rec, 0, &rec->last);
    static const struct { enum mcg_ctrl c; const char *name; } psi[] = {
        { MCG_CPU, "cpu" }, { MCG_MEMORY, "memory" }, { MCG_BLKIO, "io" },
    };
    for (size_t i = 0; i < sizeof(psi) / sizeof(psi[0]); i++) {
        int fd = open_trigger(run, psi[i].c);
        if (fd < 0)
            continue;
        rec->trig_fd[rec->ntrig] = fd;
        rec->trig_name[rec->ntrig++] = psi[i].name;
    }
    return rec;
}

int mcg_record_triggers(const struct mcg_recorder *rec, const int **fds)
{
    *fds = rec ? rec->trig_fd : NULL;
    return rec ? rec->ntrig : 0;
}

double mcg_record_due(const struct mcg_recorder *rec)
{
    return rec->due;
}

static void add_event(struct mcg_recorder *rec, double t, double since, const char *kind,
                      const char *detail, int64_t count)
{
    if (rec->nev == MAX_EVENTS) {
        rec->dropped++;
        return;
    }
    struct event *e = &rec->ev[rec->nev++];
    *e = (struct event){ .t = t, .since = since, .kind = kind, .count = count };
    snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
}

void mcg_record_event(struct mcg_recorder *rec, double now, const char *kind, const char *detail)
{
    if (rec)
        add_event(rec, now, now, kind, detail, 1);
}

void mcg_record_pressure(struct mcg_recorder *rec, int i, double now)
{
    /* (the spike was in the window before now: the sample before it
     * bounds it from below) */
    add_event(rec, now, rec->last.t, "pressure", rec->trig_name[i], 1);
    mcg_record_sample(rec, now);
}

/* Two neighbours into one: the sums of the counters, the larger gauges. */
static void merge(struct bucket *into, const struct bucket *a, const struct bucket *b)
{
    struct bucket m = { .t = b->t };
    for (int f = 0; f < NKEPT; f++)
        m.v[f] = f >= FIRST_GAUGE ? fmaxf(a->v[f], b->v[f])
                 : isnan(a->v[f]) ? b->v[f] : isnan(b->v[f]) ? a->v[f] : a->v[f] + b->v[f];
    *into = m;
}

/* The bucket from one reading to the next. */
static void to_bucket(struct bucket *b, const struct sample *prev, const struct sample *s)
{
    b->t = s->t;
    for (int f = 0; f < NKEPT; f++) {
        int64_t v = f >= FIRST_GAUGE ? s->v[f]
                    : prev->v[f] < 0 || s->v[f] < prev->v[f] ? -1 : s->v[f] - prev->v[f];
        b->v[f] = v < 0 ? NAN : (float)v;
    }
}

void mcg_record_sample(struct mcg_recorder *rec, double now)
{
    struct sample s;
    static const struct { enum field f; const char *kind; } counted[] = {
        { F_OOM_KILLS, "oom_kill" },
        { F_HIGH_EVENTS, "memory_high" },
        { F_MAX_EVENTS, "memory_max" },
    };

    struct timespec c0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    read_sample(rec, now, &s);
    /* the peak rose since the last sample: it was reached in between */
    if (s.v[F_PEAK] > rec->last.v[F_PEAK] && rec->last.v[F_PEAK] >= 0 && s.v[F_PEAK] > s.v[F_MEM])
        s.v[F_MEM] = s.v[F_PEAK];
    for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
        int64_t was = rec->last.v[counted[i].f], is = s.v[counted[i].f];
        if (was >= 0 && is > was)
            add_event(rec, now, rec->last.t, counted[i].kind, NULL, is - was);
    }
    struct bucket b;
    to_bucket(&b, &rec->last, &s);
    rec->last = s;
    if (rec->n == MCG_RECORD_SLOTS) {
        for (size_t i = 0; i < MCG_RECORD_SLOTS / 2; i++)
            merge(&rec->s[i], &rec->s[2 * i], &rec->s[2 * i + 1]);
        rec->n = MCG_RECORD_SLOTS / 2;
        if (!rec->fixed)
            rec->interval *= 2;
    }
    /* (times are written to 0.1 ms: a sample closer to the last one, such
     * as the last of all right after a due one, joins it) */
    if (rec->n > 0 && now - rec->s[rec->n - 1].t < 1e-4)
        merge(&rec->s[rec->n - 1], &rec->s[rec->n - 1], &b);
    else
        rec->s[rec->n++] = b;
    /* what this sample cost sets the shortest interval the budget allows */
    struct timespec c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    double cost = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* (the first samples pay for first touches: not what the rest cost) */
    if (++rec->taken > 3)
        rec->cost = rec->cost > 0 ? 0.8 * rec->cost + 0.2 * cost : cost;
    if (!rec->fixed && rec->interval < rec->cost / MCG_RECORD_CPU_SHARE)
        rec->interval = rec->cost / MCG_RECORD_CPU_SHARE;
    rec->due += rec->interval;
    if (rec->due <= now)
        rec->due = now + rec->interval;
}

/* ---- the record ---------------------------------------------------------- */

static json_t *number_or_null(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

static json_t *real(double v, double unit)
{
    return json_real(unit > 0 ? (double)llround(v / unit) * unit : v);
}

/* One series: each bucket's value, from the bucket and its length (dt);
 * null where unknown, the whole series null where never known. */
typedef json_t *series_fn(const struct bucket *b, double dt);

static json_t *cores(double ns, double dt)
{
    return isnan(ns) || dt <= 0 ? json_null() : real(ns / 1e9 / dt, 1e-4);
}

static json_t *ticks_cores(double ticks, double dt)
{
    long hz = sysconf(_SC_CLK_TCK);
    return isnan(ticks) || dt <= 0 || hz <= 0 ? json_null() : real(ticks / (double)hz / dt, 1e-4);
}

static json_t *count(double v)
{
    return isnan(v) ? json_null() : json_integer((json_int_t)llround(v));
}

static json_t *s_time(const struct bucket *b, double dt)
{
    (void)dt;
    return real(b->t, 1e-4);
}
static json_t *s_cpu(const struct bucket *b, double dt) { return cores(b->v[F_CPU_NS], dt); }
static json_t *s_user(const struct bucket *b, double dt) { return ticks_cores(b->v[F_USER_TICKS], dt); }
static json_t *s_sys(const struct bucket *b, double dt) { return ticks_cores(b->v[F_SYS_TICKS], dt); }
static json_t *s_thr_s(const struct bucket *b, double dt)
{
    (void)dt;
    return isnan(b->v[F_THR_NS]) ? json_null() : real(b->v[F_THR_NS] / 1e9, 1e-6);
}
#define COUNT_SERIES(name, field)                                                                  \
    static json_t *name(const struct bucket *b, double dt)                                         \
    {                                                                                              \
        (void)dt;                                                                                  \
        return count(b->v[field]);                                                                 \
    }
#define STALL_SERIES(name, field)                                                                  \
    static json_t *name(const struct bucket *b, double dt)                                         \
    {                                                                                              \
        (void)dt;                                                                                  \
        return isnan(b->v[field]) ? json_null() : real(b->v[field] / 1e6, 1e-6);                   \
    }
COUNT_SERIES(s_thr_periods, F_THR_PERIODS)
COUNT_SERIES(s_io_r, F_IO_R)
COUNT_SERIES(s_io_w, F_IO_W)
COUNT_SERIES(s_mem, F_MEM)
COUNT_SERIES(s_anon, F_ANON)
COUNT_SERIES(s_file, F_FILE)
COUNT_SERIES(s_pids, F_PIDS)
STALL_SERIES(s_cpu_some, F_PSI_CPU_SOME)
STALL_SERIES(s_cpu_full, F_PSI_CPU_FULL)
STALL_SERIES(s_mem_some, F_PSI_MEM_SOME)
STALL_SERIES(s_mem_full, F_PSI_MEM_FULL)
STALL_SERIES(s_io_some, F_PSI_IO_SOME)
STALL_SERIES(s_io_full, F_PSI_IO_FULL)

/* The series of the record, in the man page's order (RECORD). */
static const struct { const char *name; series_fn *fn; } series[] = {
    { "t_s", s_time },
    { "cpu_cores", s_cpu },
    { "cpu_user_cores", s_user },
    { "cpu_system_cores", s_sys },
    { "cpu_throttled_s", s_thr_s },
    { "cpu_throttled_periods", s_thr_periods },
    { "memory_bytes", s_mem },
    { "memory_anon_bytes", s_anon },
    { "memory_file_bytes", s_file },
    { "io_read_bytes", s_io_r },
    { "io_write_bytes", s_io_w },
    { "pids", s_pids },
    { "cpu_some_s", s_cpu_some },
    { "cpu_full_s", s_cpu_full },
    { "memory_some_s", s_mem_some },
    { "memory_full_s", s_mem_full },
    { "io_some_s", s_io_some },
    { "io_full_s", s_io_full },
};

static json_t *iso_time(const struct timespec *t0, double after)
{
    struct timespec t = *t0;
    long long ms = (long long)t.tv_nsec / 1000000 + llround(after * 1000);
    t.tv_sec += (time_t)(ms / 1000);
    ms %= 1000;
    struct tm tm;
    char buf[40];
    gmtime_r(&t.tv_sec, &tm);
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%03lldZ", ms);
    return json_string(buf);
}

static json_t *record_json(const struct mcg_recorder *rec, const struct mcg_report *r)
{
    json_t *o = json_object(), *cmd = json_array(), *lim = json_object(), *ser = json_object();
    json_t *groups = json_object(), *events = json_array();
    struct mcg_run *run = rec->run;

    json_object_set_new(o, "format", json_string("mcgexec-record"));
    json_object_set_new(o, "version", json_integer(1));
    for (char **a = r->command; *a; a++)
        json_array_append_new(cmd, json_string(*a));
    json_object_set_new(o, "command", cmd);
    json_object_set_new(o, "policy", rec->o->policy ? json_string(rec->o->policy) : json_null());
    json_object_set_new(o, "cgroup_version",
                        !run || mcg_layout_found(run) == MCG_LAYOUT_NONE
                            ? json_null()
                            : json_integer(mcg_is_v2(run) ? 2 : 1));
    json_object_set_new(o, "manager", json_string(run ? mcg_manager_name(run) : "none"));
    for (int c = 0; run && c < MCG_NCTRL; c++) {
        char dir[4096];
        if (mcg_job_dir(run, (enum mcg_ctrl)c, dir, sizeof(dir)) == 0)
            json_object_set_new(groups, mcg_ctrl_name((enum mcg_ctrl)c), json_string(dir));
    }
    json_object_set_new(o, "groups", groups);
    json_object_set_new(lim, "memory_max_bytes", number_or_null(rec->mem_max));
    json_object_set_new(lim, "memory_high_bytes", number_or_null(rec->mem_high));
    json_object_set_new(lim, "cpu_quota_cores",
                        rec->quota_us > 0 && rec->period_us > 0
                            ? real((double)rec->quota_us / (double)rec->period_us, 1e-4)
                            : json_null());
    json_object_set_new(lim, "pids_max", number_or_null(rec->pids_max));
    json_object_set_new(o, "limits", lim);
    json_object_set_new(o, "start", iso_time(&rec->wall0, 0));
    json_object_set_new(o, "end", iso_time(&rec->wall0, r->wall));
    json_object_set_new(o, "wall_time_s", real(r->wall, 1e-3));
    json_object_set_new(o, "status", json_integer(r->status));
    json_object_set_new(o, "exit_code", r->exited ? json_integer(r->exit_code) : json_null());
    json_object_set_new(o, "signal", r->signal ? json_integer(r->signal) : json_null());
    json_object_set_new(o, "timed_out", json_boolean(r->timed_out));
    json_object_set_new(o, "oom_killed", json_boolean(r->oom_killed));
    json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
    json_object_set_new(o, "memory_peak_bytes",
                        number_or_null(r->mem_peak >= 0 ? r->mem_peak : rec->last.v[F_PEAK]));
    json_object_set_new(o, "interval_s", real(rec->interval, 1e-3));
    json_object_set_new(o, "samples", json_integer((json_int_t)rec->n));
    for (size_t k = 0; k < sizeof(series) / sizeof(series[0]); k++) {
        json_t *a = json_array();
        int known = 0;
        for (size_t i = 0; i < rec->n; i++) {
            json_t *v = series[k].fn(&rec->s[i], rec->s[i].t - (i ? rec->s[i - 1].t : 0));
            known |= !json_is_null(v);
            json_array_append_new(a, v);
        }
        if (!known) {
            json_decref(a);
            a = json_null();
        }
        json_object_set_new(ser, series[k].name, a);
    }
    json_object_set_new(o, "series", ser);
    for (size_t i = 0; i < rec->nev; i++) {
        const struct event *e = &rec->ev[i];
        json_t *j = json_object();
        json_object_set_new(j, "t_s", real(e->t, 1e-4));
        json_object_set_new(j, "since_s", real(e->since, 1e-4));
        json_object_set_new(j, "kind", json_string(e->kind));
        if (e->detail[0])
            json_object_set_new(j, "detail", json_string(e->detail));
        json_object_set_new(j, "count", json_integer(e->count));
        json_array_append_new(events, j);
    }
    json_object_set_new(o, "events", events);
    json_object_set_new(o, "events_dropped", json_integer((json_int_t)rec->dropped));
    return o;
}

/* The record into --record's file and its picture into --plot's: each
 * error said, none fatal; the recorder freed, the record returned. */
static json_t *write_outputs(struct mcg_recorder *rec, const struct mcg_report *r);

json_t *mcg_record_finish(struct mcg_recorder *rec, const struct mcg_report *r)
{
    char detail[24] = "";

    if (!rec)
        return NULL;
    /* (the job has ended; its groups are still there) */
    mcg_record_sample(rec, r->wall);
    if (r->signal)
        snprintf(detail, sizeof(detail), "SIG%s",
                 sigabbrev_np(r->signal) ? sigabbrev_np(r->signal) : "?");
    else if (r->exited)
        snprintf(detail, sizeof(detail), "exit %d", r->exit_code);
    add_event(rec, r->wall, r->wall, "exit", detail, 1);
    return write_outputs(rec, r);
}

void mcg_record_failure(struct mcg_run *run, const struct mcg_supervise_opts *o, char **command,
                        int status, const char *error)
{
    struct mcg_report r = { .command = command, .status = status, .error = error,
                            .mem_peak = -1 };

    if ((!o->record_file && !o->plot_file) || !*command)
        return;
    struct mcg_recorder *rec = calloc(1, sizeof(*rec));
    if (!rec)
        abort();
    *rec = (struct mcg_recorder){ .run = run, .o = o, .interval = 0, .mem_max = -1,
                                  .mem_high = -1, .quota_us = -1, .period_us = -1,
                                  .pids_max = -1 };
    rec->last.v[F_PEAK] = -1;
    clock_gettime(CLOCK_REALTIME, &rec->wall0);
    json_decref(write_outputs(rec, &r));
}

static json_t *write_outputs(struct mcg_recorder *rec, const struct mcg_report *r)
{
    struct mcg_error err = { 0 };
    json_t *j = record_json(rec, r);
    FILE *f;
    /* The record as it is written, reals to ten digits, and read back: the
     * picture drawn now is then the one --from draws from the file (from
     * the doubles themselves, a coordinate could round the other way). */
    char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_t *written = text ? json_loads(text, 0, NULL) : NULL;
    if (written) {
        json_decref(j);
        j = written;
    }
    if (rec->o->record_file && (f = mcg_open_output(rec->o->record_file, "the record", &err))) {
        if (!text || fputs(text, f) == EOF || fputc('\n', f) == EOF)
            mcg_fail(&err, "cannot write the record to %s", rec->o->record_file);
        if (fclose(f) != 0 && !err.msg[0])
            mcg_fail_errno(&err, errno, "cannot write the record to %s", rec->o->record_file);
    }
    if (err.msg[0]) {
        mcg_print_error(&err);
        err = (struct mcg_error){ 0 };
    }
    if (rec->o->plot_file && (f = mcg_open_output(rec->o->plot_file, "the picture", &err))) {
        int r2 = mcg_plot(j, f, &err);
        if (fclose(f) != 0 && r2 == 0)
            mcg_fail_errno(&err, errno, "cannot write the picture to %s", rec->o->plot_file);
    }
    if (err.msg[0])
        mcg_print_error(&err);
    free(text);
    for (int i = 0; i < rec->ntrig; i++)
        close(rec->trig_fd[i]);
    free(rec);
    return j;
}
