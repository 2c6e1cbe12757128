/* The table of settings (settings.h says what a row holds), the
 * documentation drawn from it (--list-settings), and writing a group's
 * staged values in the order the kernel needs.  How each row reaches
 * cgroup v2 is its mapping, in v1v2.c. */
#include "settings/settings.h"
#include "settings/v1v2.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* The methods and meanings are those of mruby-cgroup, so its scripts run
 * unchanged; the files are the kernel's.  The v2 columns follow the mapping
 * of crun, runc and systemd (see man/mcgexec.1, CGROUP V2). */
#define PRESSURE_UNIT "Hash: \"some\", \"full\" => avg10, avg60, avg300 (%), total (us)"

const struct mcg_setting mcg_settings[] = {
    { MCG_CPU, "cfs_quota_us", "cpu.cfs_quota_us", MCG_K_QUOTA, MCG_RW,
      "microseconds per period, -1 for no limit", &mcg_v2_max_quota, "cpu.max", NULL, NULL, NULL },
    { MCG_CPU, "cfs_period_us", "cpu.cfs_period_us", MCG_K_INT, MCG_RW, "microseconds",
      &mcg_v2_max_period, "cpu.max", NULL, NULL, NULL },
    { MCG_CPU, "rt_period_us", "cpu.rt_period_us", MCG_K_INT, MCG_RW, "microseconds",
      &mcg_v2_none, NULL, NULL, NULL, NULL },
    { MCG_CPU, "rt_runtime_us", "cpu.rt_runtime_us", MCG_K_INT, MCG_RW, "microseconds",
      &mcg_v2_none, NULL, NULL, NULL, NULL },
    { MCG_CPU, "shares", "cpu.shares", MCG_K_INT, MCG_RW, "relative weight (2..262144)",
      &mcg_v2_weight, "cpu.weight", NULL, NULL, "shares" },
    { MCG_CPU, "idle", "cpu.idle", MCG_K_BOOL, MCG_RW,
      "true: runs only when nothing else would (SCHED_IDLE)", &mcg_v2_same, "cpu.idle", NULL,
      NULL, "cpu idle" },
    { MCG_CPU, "cfs_burst_us", "cpu.cfs_burst_us", MCG_K_USEC, MCG_RW,
      "microseconds (or \"20ms\") a period may borrow from unused quota", &mcg_v2_same, "cpu.max.burst",
      NULL, NULL, "cpu burst" },
    { MCG_CPU, "pressure", "cpu.pressure", MCG_K_PRESSURE, MCG_READ, PRESSURE_UNIT,
      &mcg_v2_pressure, "cpu.pressure", NULL, NULL, NULL },
    { MCG_CPU, "stat", "cpu.stat", MCG_K_TEXT, MCG_READ, "text", &mcg_v2_same, "cpu.stat", NULL,
      NULL, NULL },
    { MCG_CPU, "nr_throttled", "cpu.stat", MCG_K_INT, MCG_READ, "periods the group was throttled",
      &mcg_v2_keyed, "cpu.stat", "nr_throttled", "nr_throttled", NULL },
    { MCG_CPU, "throttled_time", "cpu.stat", MCG_K_INT, MCG_READ, "nanoseconds throttled",
      &mcg_v2_keyed_usec, "cpu.stat", "throttled_usec", "throttled_time", NULL },

    { MCG_CPUACCT, "usage", "cpuacct.usage", MCG_K_INT, MCG_RW,
      "nanoseconds (write 0 to reset)", &mcg_v2_usage_ns, "cpu.stat", "usage_usec", NULL, NULL },
    { MCG_CPUACCT, "stat", "cpuacct.stat", MCG_K_TEXT, MCG_READ, "text (USER_HZ ticks)",
      &mcg_v2_ticks, "cpu.stat", NULL, NULL, NULL },
    { MCG_CPUACCT, "usage_percpu", "cpuacct.usage_percpu", MCG_K_TEXT, MCG_READ,
      "nanoseconds per CPU, space-separated", &mcg_v2_none, NULL, NULL, NULL, NULL },

    { MCG_CPUSET, "cpus", "cpuset.cpus", MCG_K_CPULIST, MCG_RW, "CPU list (\"0-3,5\")",
      &mcg_v2_same, "cpuset.cpus", NULL, NULL, "cpus" },
    { MCG_CPUSET, "mems", "cpuset.mems", MCG_K_CPULIST, MCG_RW, "memory-node list",
      &mcg_v2_same, "cpuset.mems", NULL, NULL, "mems" },

    { MCG_BLKIO, "throttle_read_bps_device", "blkio.throttle.read_bps_device", MCG_K_DEVBPS,
      MCG_RW, "\"DEVICE bytes/s\"", &mcg_v2_io, "io.max", "rbps", NULL, "read_bps" },
    { MCG_BLKIO, "throttle_write_bps_device", "blkio.throttle.write_bps_device", MCG_K_DEVBPS,
      MCG_RW, "\"DEVICE bytes/s\"", &mcg_v2_io, "io.max", "wbps", NULL, "write_bps" },
    { MCG_BLKIO, "throttle_read_iops_device", "blkio.throttle.read_iops_device", MCG_K_DEVRATE,
      MCG_RW, "\"DEVICE operations/s\"", &mcg_v2_io, "io.max", "riops", NULL, "read_iops" },
    { MCG_BLKIO, "throttle_write_iops_device", "blkio.throttle.write_iops_device", MCG_K_DEVRATE,
      MCG_RW, "\"DEVICE operations/s\"", &mcg_v2_io, "io.max", "wiops", NULL, "write_iops" },
    { MCG_BLKIO, "weight", "blkio.weight", MCG_K_INT, MCG_RW,
      "relative weight (10..1000; v1 CFQ or BFQ, v2 BFQ or io.weight)", &mcg_v2_blkio_weight,
      "io.weight", NULL, NULL, "io weight" },
    { MCG_BLKIO, "weight_device", "blkio.weight_device", MCG_K_DEVRATE, MCG_RW,
      "\"DEVICE weight\" (0 removes it)", &mcg_v2_blkio_weight_device, "io.weight", NULL, NULL,
      "io weight_device" },
    { MCG_BLKIO, "pressure", "io.pressure", MCG_K_PRESSURE, MCG_READ, PRESSURE_UNIT,
      &mcg_v2_pressure, "io.pressure", NULL, NULL, NULL },
    { MCG_BLKIO, "read_bytes", "blkio.throttle.io_service_bytes", MCG_K_INT, MCG_READ,
      "bytes read, all devices", &mcg_v2_io_bytes, "io.stat", "rbytes", "Read", NULL },
    { MCG_BLKIO, "write_bytes", "blkio.throttle.io_service_bytes", MCG_K_INT, MCG_READ,
      "bytes written, all devices", &mcg_v2_io_bytes, "io.stat", "wbytes", "Write", NULL },

    { MCG_MEMORY, "limit_in_bytes", "memory.limit_in_bytes", MCG_K_SIZE, MCG_RW,
      "size, -1 for no limit", &mcg_v2_mem_max, "memory.max", NULL, NULL, "memory" },
    { MCG_MEMORY, "high", "memory.high", MCG_K_SIZE, MCG_RW,
      "size where reclaim and throttling start, -1 for none", &mcg_v2_only_max, "memory.high",
      NULL, NULL, "memory high" },
    { MCG_MEMORY, "low", "memory.soft_limit_in_bytes", MCG_K_SIZE, MCG_RW,
      "size kept from reclaim while others have more (v1: the soft limit)", &mcg_v2_mem_max,
      "memory.low", NULL, NULL, "memory low" },
    { MCG_MEMORY, "min", "memory.min", MCG_K_SIZE, MCG_RW, "size never reclaimed",
      &mcg_v2_only_max, "memory.min", NULL, NULL, "memory min" },
    { MCG_MEMORY, "swap_high", "memory.swap.high", MCG_K_SIZE, MCG_RW,
      "swap size where throttling starts, -1 for none", &mcg_v2_only_max, "memory.swap.high",
      NULL, NULL, "memory swap_high" },
    { MCG_MEMORY, "oom_group", "memory.oom.group", MCG_K_BOOL, MCG_RW,
      "true: the OOM killer kills the whole group", &mcg_v2_only_same, "memory.oom.group", NULL,
      NULL, "memory oom_group" },
    { MCG_MEMORY, "usage_in_bytes", "memory.usage_in_bytes", MCG_K_INT, MCG_READ, "bytes",
      &mcg_v2_read, "memory.current", NULL, NULL, NULL },
    { MCG_MEMORY, "max_usage_in_bytes", "memory.max_usage_in_bytes", MCG_K_INT, MCG_READ,
      "bytes", &mcg_v2_peak, "memory.peak", NULL, NULL, NULL },
    { MCG_MEMORY, "anon_bytes", "memory.stat", MCG_K_INT, MCG_READ,
      "bytes of anonymous memory (v1: total_rss)", &mcg_v2_keyed, "memory.stat", "anon",
      "total_rss", NULL },
    { MCG_MEMORY, "file_bytes", "memory.stat", MCG_K_INT, MCG_READ,
      "bytes of page cache (v1: total_cache)", &mcg_v2_keyed, "memory.stat", "file",
      "total_cache", NULL },
    { MCG_MEMORY, "memsw_limit_in_bytes", "memory.memsw.limit_in_bytes", MCG_K_SIZE, MCG_RW,
      "size of memory plus swap, -1 for no limit", &mcg_v2_swap, "memory.swap.max", NULL, NULL,
      "memory_and_swap" },
    { MCG_MEMORY, "memsw_usage_in_bytes", "memory.memsw.usage_in_bytes", MCG_K_INT, MCG_READ,
      "bytes", &mcg_v2_memsw_usage, "memory.current", "memory.swap.current", NULL, NULL },
    { MCG_MEMORY, "memsw_max_usage_in_bytes", "memory.memsw.max_usage_in_bytes", MCG_K_INT,
      MCG_READ, "bytes", &mcg_v2_none, NULL, NULL, NULL, NULL },
    { MCG_MEMORY, "oom_control", "memory.oom_control", MCG_K_BOOL, MCG_RW,
      "true disables the OOM killer", &mcg_v2_oom_control, NULL, NULL, NULL, NULL },
    { MCG_MEMORY, "oom_kill", "memory.oom_control", MCG_K_INT, MCG_READ,
      "processes the OOM killer killed", &mcg_v2_keyed, "memory.events", "oom_kill", "oom_kill",
      NULL },
    { MCG_MEMORY, "failcnt", "memory.failcnt", MCG_K_INT, MCG_READ,
      "times usage hit the limit", &mcg_v2_keyed, "memory.events", "max", NULL, NULL },
    { MCG_MEMORY, "pressure", "memory.pressure", MCG_K_PRESSURE, MCG_READ, PRESSURE_UNIT,
      &mcg_v2_pressure, "memory.pressure", NULL, NULL, NULL },
    { MCG_MEMORY, "events", "memory.events", MCG_K_EVENTS, MCG_READ,
      "Hash of counts: low, high, max, oom, oom_kill (v1: max from failcnt, oom_kill)",
      &mcg_v2_events, "memory.events", NULL, NULL, NULL },
    { MCG_MEMORY, "cgroup_event_control", "cgroup.event_control", MCG_K_TEXT, MCG_WRITE,
      "\"EVENTFD FD [ARGS]\"", &mcg_v2_none, NULL, NULL, NULL, NULL },

    { MCG_PIDS, "max", "pids.max", MCG_K_COUNT, MCG_RW, "processes, -1 for no limit",
      &mcg_v2_same, "pids.max", NULL, NULL, "pids" },
    { MCG_PIDS, "current", "pids.current", MCG_K_INT, MCG_READ, "processes", &mcg_v2_same,
      "pids.current", NULL, NULL, NULL },
};

const size_t mcg_nsettings = sizeof(mcg_settings) / sizeof(mcg_settings[0]);
_Static_assert(sizeof(mcg_settings) / sizeof(mcg_settings[0]) <= MCG_NSETTINGS_MAX,
               "raise MCG_NSETTINGS_MAX");

/* The v2 column of --list-settings: the map's description with $f and $k
 * filled in. */
static void describe_v2(const struct mcg_setting *s, char *buf, size_t len)
{
    size_t at = 0;

    for (const char *p = s->map->describe; *p && at + 1 < len; p++) {
        const char *put = NULL;
        if (p[0] == '$' && (p[1] == 'f' || p[1] == 'k'))
            put = *++p == 'f' ? s->file2 : s->key2;
        at += (size_t)snprintf(buf + at, len - at, "%s", put ? put : (char[]){ *p, 0 });
        if (at >= len)
            at = len - 1;
    }
    buf[at] = '\0';
}

/* The V1 FILE column: "-" where the setting has no v1 meaning. */
static const char *v1_file(const struct mcg_setting *s)
{
    return s->map->v2_only ? "-" : s->file;
}

void mcg_list_settings(FILE *out)
{
    static const char *const access[] = { "", "r", "w", "rw" };
    char v2[MCG_NSETTINGS_MAX][96], concise[MCG_NSETTINGS_MAX][48];
    int w[5] = { 15, 6, 15, 15, 7 }; /* widths of METHOD, ACCESS, V1 FILE, V2 FILE, CONCISE */

    for (size_t i = 0; i < mcg_nsettings && i < MCG_NSETTINGS_MAX; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        int n = (int)(strlen("Cgroup::") + strlen(mcg_controllers[s->ctrl].class_name) + 1 +
                      strlen(s->method));
        describe_v2(s, v2[i], sizeof(v2[i]));
        /* the concise form's name: `memory "2G"` is "memory", its keyword
         * `memory "2G", high: "1G"` is "memory high:" */
        snprintf(concise[i], sizeof(concise[i]), "%s%s", s->concise ? s->concise : "-",
                 s->concise && strchr(s->concise, ' ') ? ":" : "");
        if ((int)strlen(concise[i]) > w[4])
            w[4] = (int)strlen(concise[i]);
        if (n > w[0])
            w[0] = n;
        if ((int)strlen(v1_file(s)) > w[2])
            w[2] = (int)strlen(v1_file(s));
        if ((int)strlen(v2[i]) > w[3])
            w[3] = (int)strlen(v2[i]);
    }
    fprintf(out, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], "METHOD", w[1], "ACCESS", w[2],
            "V1 FILE", w[3], "V2 FILE", w[4], "CONCISE", "UNIT");
    for (size_t i = 0; i < mcg_nsettings && i < MCG_NSETTINGS_MAX; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        char name[128];
        snprintf(name, sizeof(name), "Cgroup::%s#%s", mcg_controllers[s->ctrl].class_name,
                 s->method);
        fprintf(out, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], name, w[1], access[s->access],
                w[2], v1_file(s), w[3], v2[i], w[4], concise[i], s->unit);
    }
}

/* `method` may be a setter's name: "limit_in_bytes=" finds limit_in_bytes. */
const struct mcg_setting *mcg_setting_find(enum mcg_ctrl ctrl, const char *method)
{
    size_t len = strcspn(method, "=");

    for (size_t i = 0; i < mcg_nsettings; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        if (s->ctrl == ctrl && strncmp(s->method, method, len) == 0 && !s->method[len])
            return s;
    }
    return NULL;
}

/* c["file"]: on v1 a file the table knows keeps its typed parsing (sizes
 * with units); on v2 the generic form is native files, passed as they are
 * (NULL). */
const struct mcg_setting *mcg_setting_by_file(const struct mcg_run *run, enum mcg_ctrl ctrl,
                                              const char *file)
{
    if (mcg_is_v2(run))
        return NULL;
    for (size_t i = 0; i < mcg_nsettings; i++)
        if (mcg_settings[i].ctrl == ctrl && !mcg_settings[i].key1 &&
            strcmp(mcg_settings[i].file, file) == 0)
            return &mcg_settings[i];
    return NULL;
}

/* ---- applying staged values and reading settings ----------------------- */

static int write_one(struct mcg_run *run, const char *dir, struct mcg_staged *st, size_t n,
                     size_t i, struct mcg_error *err)
{
    struct mcg_staged *e = &st[i];
    int r;

    if (e->setting && !mcg_is_v2(run) && e->setting->map->write_v1)
        r = e->setting->map->write_v1(run, dir, e, st, n, err);
    else if (!e->setting || !mcg_is_v2(run))
        r = mcg_write(run, dir, e->file, e->value, err);
    else if (e->setting->map->write)
        r = e->setting->map->write(run, dir, e, st, n, err);
    else
        r = mcg_fail(err, "%s has no cgroup v2 equivalent", e->setting->file);
    if (r == 0)
        e->applied = 1;
    return r;
}

static ssize_t later_unapplied(const struct mcg_staged *st, size_t n, size_t i, const char *file)
{
    for (size_t j = i + 1; j < n; j++)
        if (!st[j].applied && mcg_staged_is(&st[j], file))
            return (ssize_t)j;
    return -1;
}

int mcg_apply_staged(struct mcg_run *run, const char *dir, struct mcg_staged *st, size_t n,
                     size_t *failed, struct mcg_error *err)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            struct mcg_staged *e = &st[i];
            if (e->applied)
                continue;
            if (pass == 0 && mcg_is_v2(run) && mcg_staged_is(e, "memory.memsw.limit_in_bytes") &&
                later_unapplied(st, n, i, "memory.limit_in_bytes") >= 0)
                continue; /* v2: swap.max is computed from the new limit */
            if (pass == 0 && !mcg_is_v2(run) && mcg_staged_is(e, "memory.limit_in_bytes")) {
                /* v1 keeps limit <= memsw.limit at every moment: write the
                 * memsw limit first when it is raised, after when lowered */
                ssize_t j = later_unapplied(st, n, i, "memory.memsw.limit_in_bytes");
                if (j >= 0 && write_one(run, dir, st, n, (size_t)j, err) < 0 &&
                    err->errnum != EINVAL) {
                    *failed = (size_t)j;
                    return -1;
                }
            }
            if (write_one(run, dir, st, n, i, err) < 0) {
                *failed = i;
                return -1;
            }
        }
    }
    return 0;
}

int mcg_read_setting(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                     char **text, struct mcg_error *err)
{
    if (mcg_setting_usable(run, s, 0, err) < 0)
        return -1;
    if (!mcg_is_v2(run))
        return mcg_read_v1(run, dir, s, text, err);
    return s->map->read(run, dir, s, text, err);
}

int mcg_setting_usable(struct mcg_run *run, const struct mcg_setting *s, int write,
                       struct mcg_error *err)
{
    if (!mcg_is_v2(run)) {
        if (s->map->v2_only)
            return mcg_fail(err, "%s has no cgroup v1 equivalent (this host runs cgroup v1)",
                            s->file);
        return 0;
    }
    if (!s->map->read)
        return mcg_fail(err, "%s has no cgroup v2 equivalent", s->file);
    if (write && s->map->no_write)
        return mcg_fail(err, "%s %s", s->file, s->map->no_write);
    return 0;
}
