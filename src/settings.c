#include "settings.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "values.h"

const char *const mcg_class_names[MCG_NCTRL] = {
    [MCG_CPU] = "CPU", [MCG_CPUACCT] = "CPUACCT", [MCG_CPUSET] = "CPUSET",
    [MCG_BLKIO] = "BLKIO", [MCG_MEMORY] = "MEMORY", [MCG_PIDS] = "PIDS",
};

/* The methods and meanings are those of mruby-cgroup, so its scripts run
 * unchanged; the files are the kernel's.  The v2 columns follow the mapping
 * of crun, runc and systemd (see man/mcgexec.1, CGROUP V2). */
const struct mcg_setting mcg_settings[] = {
    { MCG_CPU, "cfs_quota_us", "cpu.cfs_quota_us", MCG_K_QUOTA, MCG_RW,
      "microseconds per period, -1 for no limit", MCG_V2_MAX_QUOTA, "cpu.max", NULL, NULL },
    { MCG_CPU, "cfs_period_us", "cpu.cfs_period_us", MCG_K_INT, MCG_RW, "microseconds",
      MCG_V2_MAX_PERIOD, "cpu.max", NULL, NULL },
    { MCG_CPU, "rt_period_us", "cpu.rt_period_us", MCG_K_INT, MCG_RW, "microseconds",
      MCG_V2_NONE, NULL, NULL, NULL },
    { MCG_CPU, "rt_runtime_us", "cpu.rt_runtime_us", MCG_K_INT, MCG_RW, "microseconds",
      MCG_V2_NONE, NULL, NULL, NULL },
    { MCG_CPU, "shares", "cpu.shares", MCG_K_INT, MCG_RW, "relative weight (2..262144)",
      MCG_V2_WEIGHT, "cpu.weight", NULL, NULL },
    { MCG_CPU, "stat", "cpu.stat", MCG_K_TEXT, MCG_READ, "text", MCG_V2_SAME, "cpu.stat", NULL, NULL },
    { MCG_CPU, "nr_throttled", "cpu.stat", MCG_K_INT, MCG_READ, "periods the group was throttled",
      MCG_V2_KEYED, "cpu.stat", "nr_throttled", "nr_throttled" },
    { MCG_CPU, "throttled_time", "cpu.stat", MCG_K_INT, MCG_READ, "nanoseconds throttled",
      MCG_V2_KEYED_USEC, "cpu.stat", "throttled_usec", "throttled_time" },

    { MCG_CPUACCT, "usage", "cpuacct.usage", MCG_K_INT, MCG_RW,
      "nanoseconds (write 0 to reset)", MCG_V2_USAGE_NS, "cpu.stat", "usage_usec", NULL },
    { MCG_CPUACCT, "stat", "cpuacct.stat", MCG_K_TEXT, MCG_READ, "text (USER_HZ ticks)",
      MCG_V2_TICKS, "cpu.stat", NULL, NULL },
    { MCG_CPUACCT, "usage_percpu", "cpuacct.usage_percpu", MCG_K_TEXT, MCG_READ,
      "nanoseconds per CPU, space-separated", MCG_V2_NONE, NULL, NULL, NULL },

    { MCG_CPUSET, "cpus", "cpuset.cpus", MCG_K_CPULIST, MCG_RW, "CPU list (\"0-3,5\")",
      MCG_V2_SAME, "cpuset.cpus", NULL, NULL },
    { MCG_CPUSET, "mems", "cpuset.mems", MCG_K_CPULIST, MCG_RW, "memory-node list",
      MCG_V2_SAME, "cpuset.mems", NULL, NULL },

    { MCG_BLKIO, "throttle_read_bps_device", "blkio.throttle.read_bps_device", MCG_K_DEVBPS,
      MCG_RW, "\"DEVICE bytes/s\"", MCG_V2_IO, "io.max", "rbps", NULL },
    { MCG_BLKIO, "throttle_write_bps_device", "blkio.throttle.write_bps_device", MCG_K_DEVBPS,
      MCG_RW, "\"DEVICE bytes/s\"", MCG_V2_IO, "io.max", "wbps", NULL },
    { MCG_BLKIO, "throttle_read_iops_device", "blkio.throttle.read_iops_device", MCG_K_DEVRATE,
      MCG_RW, "\"DEVICE operations/s\"", MCG_V2_IO, "io.max", "riops", NULL },
    { MCG_BLKIO, "throttle_write_iops_device", "blkio.throttle.write_iops_device", MCG_K_DEVRATE,
      MCG_RW, "\"DEVICE operations/s\"", MCG_V2_IO, "io.max", "wiops", NULL },
    { MCG_BLKIO, "read_bytes", "blkio.throttle.io_service_bytes", MCG_K_INT, MCG_READ,
      "bytes read, all devices", MCG_V2_IO_BYTES, "io.stat", "rbytes", "Read" },
    { MCG_BLKIO, "write_bytes", "blkio.throttle.io_service_bytes", MCG_K_INT, MCG_READ,
      "bytes written, all devices", MCG_V2_IO_BYTES, "io.stat", "wbytes", "Write" },

    { MCG_MEMORY, "limit_in_bytes", "memory.limit_in_bytes", MCG_K_SIZE, MCG_RW,
      "size, -1 for no limit", MCG_V2_MEM_MAX, "memory.max", NULL, NULL },
    { MCG_MEMORY, "usage_in_bytes", "memory.usage_in_bytes", MCG_K_INT, MCG_READ, "bytes",
      MCG_V2_READ, "memory.current", NULL, NULL },
    { MCG_MEMORY, "max_usage_in_bytes", "memory.max_usage_in_bytes", MCG_K_INT, MCG_READ,
      "bytes", MCG_V2_PEAK, "memory.peak", NULL, NULL },
    { MCG_MEMORY, "memsw_limit_in_bytes", "memory.memsw.limit_in_bytes", MCG_K_SIZE, MCG_RW,
      "size of memory plus swap, -1 for no limit", MCG_V2_SWAP, "memory.swap.max", NULL, NULL },
    { MCG_MEMORY, "memsw_usage_in_bytes", "memory.memsw.usage_in_bytes", MCG_K_INT, MCG_READ,
      "bytes", MCG_V2_MEMSW_USAGE, "memory.current", "memory.swap.current", NULL },
    { MCG_MEMORY, "memsw_max_usage_in_bytes", "memory.memsw.max_usage_in_bytes", MCG_K_INT,
      MCG_READ, "bytes", MCG_V2_NONE, NULL, NULL, NULL },
    { MCG_MEMORY, "oom_control", "memory.oom_control", MCG_K_BOOL, MCG_RW,
      "true disables the OOM killer", MCG_V2_OOM_CONTROL, NULL, NULL, NULL },
    { MCG_MEMORY, "oom_kill", "memory.oom_control", MCG_K_INT, MCG_READ,
      "processes the OOM killer killed", MCG_V2_KEYED, "memory.events", "oom_kill", "oom_kill" },
    { MCG_MEMORY, "failcnt", "memory.failcnt", MCG_K_INT, MCG_READ,
      "times usage hit the limit", MCG_V2_KEYED, "memory.events", "max", NULL },
    { MCG_MEMORY, "cgroup_event_control", "cgroup.event_control", MCG_K_TEXT, MCG_WRITE,
      "\"EVENTFD FD [ARGS]\"", MCG_V2_NONE, NULL, NULL, NULL },

    { MCG_PIDS, "max", "pids.max", MCG_K_COUNT, MCG_RW, "processes, -1 for no limit",
      MCG_V2_SAME, "pids.max", NULL, NULL },
    { MCG_PIDS, "current", "pids.current", MCG_K_INT, MCG_READ, "processes", MCG_V2_SAME,
      "pids.current", NULL, NULL },
};

const size_t mcg_nsettings = sizeof(mcg_settings) / sizeof(mcg_settings[0]);
_Static_assert(sizeof(mcg_settings) / sizeof(mcg_settings[0]) <= MCG_NSETTINGS_MAX,
               "raise MCG_NSETTINGS_MAX");

/* The v2 column of --list-settings: the file, and how the value gets there. */
static void describe_v2(const struct mcg_setting *s, char *buf, size_t len)
{
    switch (s->v2) {
    case MCG_V2_NONE:
        snprintf(buf, len, "-");
        break;
    case MCG_V2_WEIGHT:
        snprintf(buf, len, "%s (from shares)", s->file2);
        break;
    case MCG_V2_MAX_QUOTA:
        snprintf(buf, len, "%s (first field, -1 as max)", s->file2);
        break;
    case MCG_V2_MAX_PERIOD:
        snprintf(buf, len, "%s (second field)", s->file2);
        break;
    case MCG_V2_SWAP:
        snprintf(buf, len, "%s (memsw - limit)", s->file2);
        break;
    case MCG_V2_IO:
    case MCG_V2_IO_BYTES:
        snprintf(buf, len, "%s %s=", s->file2, s->key2);
        break;
    case MCG_V2_USAGE_NS:
        snprintf(buf, len, "%s %s (x1000)", s->file2, s->key2);
        break;
    case MCG_V2_TICKS:
        snprintf(buf, len, "%s user_usec, system_usec", s->file2);
        break;
    case MCG_V2_MEMSW_USAGE:
        snprintf(buf, len, "%s + %s", s->file2, s->key2);
        break;
    case MCG_V2_OOM_CONTROL:
        snprintf(buf, len, "- (reads false)");
        break;
    case MCG_V2_KEYED:
        snprintf(buf, len, "%s %s", s->file2, s->key2);
        break;
    case MCG_V2_KEYED_USEC:
        snprintf(buf, len, "%s %s (x1000)", s->file2, s->key2);
        break;
    case MCG_V2_PEAK:
        snprintf(buf, len, "%s (5.19+)", s->file2);
        break;
    default:
        snprintf(buf, len, "%s", s->file2);
        break;
    }
}

void mcg_list_settings(FILE *out)
{
    static const char *const access[] = { "", "r", "w", "rw" };
    char v2[MCG_NSETTINGS_MAX][96];
    int w[4] = { 15, 6, 15, 15 }; /* widths of METHOD, ACCESS, V1 FILE, V2 FILE */

    for (size_t i = 0; i < mcg_nsettings && i < MCG_NSETTINGS_MAX; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        int n = (int)(strlen("Cgroup::") + strlen(mcg_class_names[s->ctrl]) + 1 +
                      strlen(s->method));
        describe_v2(s, v2[i], sizeof(v2[i]));
        if (n > w[0])
            w[0] = n;
        if ((int)strlen(s->file) > w[2])
            w[2] = (int)strlen(s->file);
        if ((int)strlen(v2[i]) > w[3])
            w[3] = (int)strlen(v2[i]);
    }
    fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", w[0], "METHOD", w[1], "ACCESS", w[2],
            "V1 FILE", w[3], "V2 FILE", "UNIT");
    for (size_t i = 0; i < mcg_nsettings && i < MCG_NSETTINGS_MAX; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        char name[128];
        snprintf(name, sizeof(name), "Cgroup::%s#%s", mcg_class_names[s->ctrl], s->method);
        fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", w[0], name, w[1], access[s->access], w[2],
                s->file, w[3], v2[i], s->unit);
    }
}

const struct mcg_setting *mcg_setting_find(enum mcg_ctrl ctrl, const char *method)
{
    for (size_t i = 0; i < mcg_nsettings; i++)
        if (mcg_settings[i].ctrl == ctrl && strcmp(mcg_settings[i].method, method) == 0)
            return &mcg_settings[i];
    return NULL;
}

/* The setting that is the whole of a v1 file (not one line of it). */
const struct mcg_setting *mcg_setting_by_file(enum mcg_ctrl ctrl, const char *file)
{
    for (size_t i = 0; i < mcg_nsettings; i++)
        if (mcg_settings[i].ctrl == ctrl && !mcg_settings[i].key1 &&
            strcmp(mcg_settings[i].file, file) == 0)
            return &mcg_settings[i];
    return NULL;
}

/* ---- v1 and v2: the one place they differ ------------------------------ */

/* What v1 reads for "no limit" in memory files (PAGE_COUNTER_MAX pages). */
#define V1_UNLIMITED "9223372036854771712"

static int unified(const struct mcg_run *run)
{
    return run->layout == MCG_LAYOUT_UNIFIED;
}

int mcg_setting_usable(struct mcg_run *run, const struct mcg_setting *s, int write,
                       struct mcg_error *err)
{
    if (!unified(run))
        return 0;
    if (s->v2 == MCG_V2_NONE)
        return mcg_fail(err, "%s has no cgroup v2 equivalent", s->file);
    if (write && s->v2 == MCG_V2_USAGE_NS)
        return mcg_fail(err, "%s cannot be reset on cgroup v2 (cpu.stat usage_usec only grows)",
                        s->file);
    return 0;
}

static int is_file(const struct mcg_staged *e, const char *file)
{
    return e->setting && strcmp(e->setting->file, file) == 0;
}

/* Read a file that may not exist yet in a dry run (a planned group). */
static int read_or(struct mcg_run *run, const char *dir, const char *file, const char *dflt,
                   char **out, struct mcg_error *err)
{
    if (run->dry_run && access(dir, F_OK) != 0) {
        *out = strdup(dflt);
        return *out ? 0 : mcg_fail(err, "out of memory");
    }
    return mcg_read(run, dir, file, out, err);
}

/* memory.swap.max = memsw - limit; the limit staged with it, or the group's. */
static int swap_value(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                      const struct mcg_staged *st, size_t n, char *out, size_t len,
                      struct mcg_error *err)
{
    int64_t memsw, limit = -1;
    const char *why;
    char *cur = NULL;

    if (mcg_parse_int(e->value, &memsw, &why) < 0)
        return mcg_fail(err, "%s", why);
    if (memsw == -1) {
        snprintf(out, len, "max");
        return 0;
    }
    const struct mcg_staged *lim = NULL;
    for (size_t i = 0; i < n; i++)
        if (is_file(&st[i], "memory.limit_in_bytes"))
            lim = &st[i];
    if (lim) {
        if (mcg_parse_int(lim->value, &limit, &why) < 0)
            return mcg_fail(err, "%s", why);
    } else {
        if (read_or(run, dir, "memory.max", "max", &cur, err) < 0)
            return -1;
        if (strcmp(cur, "max") != 0 && mcg_parse_int(cur, &limit, &why) < 0)
            limit = -1;
        free(cur);
    }
    if (limit < 0)
        return mcg_fail(err, "on cgroup v2 a memory+swap limit needs a memory limit too "
                             "(memory.swap.max = memsw - limit)");
    if (memsw < limit)
        return mcg_fail(err, "memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
                        memsw, limit);
    snprintf(out, len, "%" PRId64, memsw - limit);
    return 0;
}

static int write_v2(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                    const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    const struct mcg_setting *s = e->setting;
    char buf[4200], *cur = NULL;
    int64_t v;
    const char *why;

    switch (s->v2) {
    case MCG_V2_SAME:
        return mcg_write(run, dir, s->file2, e->value, err);
    case MCG_V2_WEIGHT:
        if (mcg_parse_int(e->value, &v, &why) < 0 || v < 0)
            return mcg_fail(err, "cpu.shares must be a positive integer");
        if (v == 0)
            return 0; /* 0: leave the weight unset, as crun and runc do */
        snprintf(buf, sizeof(buf), "%" PRIu64, mcg_shares_to_weight((uint64_t)v));
        return mcg_write(run, dir, s->file2, buf, err);
    case MCG_V2_MAX_QUOTA:
        /* one number written to cpu.max sets the quota and keeps the period */
        return mcg_write(run, dir, s->file2, strcmp(e->value, "-1") == 0 ? "max" : e->value,
                         err);
    case MCG_V2_MAX_PERIOD:
        if (read_or(run, dir, s->file2, "max 100000", &cur, err) < 0)
            return -1;
        cur[strcspn(cur, " ")] = '\0';
        snprintf(buf, sizeof(buf), "%s %s", cur, e->value);
        free(cur);
        return mcg_write(run, dir, s->file2, buf, err);
    case MCG_V2_MEM_MAX:
        return mcg_write(run, dir, s->file2, strcmp(e->value, "-1") == 0 ? "max" : e->value,
                         err);
    case MCG_V2_SWAP:
        if (swap_value(run, dir, e, st, n, buf, sizeof(buf), err) < 0)
            return -1;
        return mcg_write(run, dir, s->file2, buf, err);
    case MCG_V2_IO: {
        /* "MAJ:MIN N" -> "MAJ:MIN rbps=N"; the line's other keys stay as
         * they are.  v1's 0 (no limit) is v2's "max". */
        char dev[64];
        long long rate;
        if (sscanf(e->value, "%63s %lld", dev, &rate) != 2)
            return mcg_fail(err, "bad device value");
        if (rate == 0)
            snprintf(buf, sizeof(buf), "%s %s=max", dev, s->key2);
        else
            snprintf(buf, sizeof(buf), "%s %s=%lld", dev, s->key2, rate);
        return mcg_write(run, dir, s->file2, buf, err);
    }
    case MCG_V2_OOM_CONTROL:
        if (strcmp(e->value, "0") == 0)
            return 0; /* the OOM killer is on: nothing to write */
        return mcg_fail(err, "cgroup v2 cannot disable the OOM killer");
    default:
        return mcg_fail(err, "%s has no cgroup v2 equivalent", s->file);
    }
}

static int write_one(struct mcg_run *run, const char *dir, struct mcg_staged *st, size_t n,
                     size_t i, struct mcg_error *err)
{
    struct mcg_staged *e = &st[i];
    int r;

    if (!e->setting || !unified(run))
        r = mcg_write(run, dir, e->file, e->value, err);
    else
        r = write_v2(run, dir, e, st, n, err);
    if (r == 0)
        e->applied = 1;
    return r;
}

static ssize_t later_unapplied(const struct mcg_staged *st, size_t n, size_t i, const char *file)
{
    for (size_t j = i + 1; j < n; j++)
        if (!st[j].applied && is_file(&st[j], file))
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
            if (pass == 0 && unified(run) && is_file(e, "memory.memsw.limit_in_bytes") &&
                later_unapplied(st, n, i, "memory.limit_in_bytes") >= 0)
                continue; /* v2: swap.max is computed from the new limit */
            if (pass == 0 && !unified(run) && is_file(e, "memory.limit_in_bytes")) {
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


static int read_keyed(struct mcg_run *run, const char *dir, const char *file, const char *key,
                      int64_t *v, struct mcg_error *err)
{
    char *text;

    if (mcg_read(run, dir, file, &text, err) < 0)
        return -1;
    int r = mcg_keyed_value(text, key, v);
    free(text);
    if (r < 0)
        return mcg_fail(err, "%s/%s has no '%s'", dir, file, key);
    return 0;
}

/* io.max "8:0 rbps=2097152 wbps=max riops=max wiops=max", one line a device
 * -> v1's "8:0 2097152" for the limits that are set. */
static char *io_to_v1(const char *text, const char *key)
{
    size_t cap = strlen(text) + 1, len = 0;
    char *out = calloc(1, cap), *copy = xstrdup(text);

    if (!out)
        abort();
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char dev[64], want[32];
        const char *p;
        if (sscanf(line, "%63s", dev) != 1)
            continue;
        snprintf(want, sizeof(want), " %s=", key);
        if (!(p = strstr(line, want)))
            continue;
        p += strlen(want);
        if (strncmp(p, "max", 3) == 0)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%s %lld", len ? "\n" : "", dev,
                                strtoll(p, NULL, 10));
    }
    free(copy);
    return out;
}

/* Total bytes over all devices: v1 lines "8:0 Read 4096" (field == key),
 * v2 lines "8:0 rbytes=4096 wbytes=0 ..." (key=value). */
static int64_t io_bytes(const char *text, const char *key, int v1)
{
    int64_t sum = 0;
    size_t kl = strlen(key);

    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *p = strchr(line, ' ');
        const char *eol = strchr(line, '\n');
        if (!p || (eol && p > eol))
            continue;
        p++;
        if (v1) {
            if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
                sum += strtoll(p + kl + 1, NULL, 10);
            continue;
        }
        for (const char *q = p; q && (!eol || q < eol); q = strchr(q, ' '), q = q ? q + 1 : NULL)
            if (strncmp(q, key, kl) == 0 && q[kl] == '=')
                sum += strtoll(q + kl + 1, NULL, 10);
    }
    return sum;
}

int mcg_read_setting(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                     char **text, struct mcg_error *err)
{
    char buf[128], *raw = NULL, *raw2 = NULL;
    int64_t a, b;
    const char *why;

    if (mcg_setting_usable(run, s, 0, err) < 0)
        return -1;
    if (!unified(run)) {
        if (!s->key1)
            return mcg_read(run, dir, s->file, text, err);
        if (s->v2 == MCG_V2_IO_BYTES) {
            if (mcg_read(run, dir, s->file, &raw, err) < 0)
                return -1;
            snprintf(buf, sizeof(buf), "%" PRId64, io_bytes(raw, s->key1, 1));
            free(raw);
        } else {
            if (read_keyed(run, dir, s->file, s->key1, &a, err) < 0)
                return -1;
            snprintf(buf, sizeof(buf), "%" PRId64, a);
        }
        *text = xstrdup(buf);
        return 0;
    }
    switch (s->v2) {
    case MCG_V2_SAME:
    case MCG_V2_READ:
        return mcg_read(run, dir, s->file2, text, err);
    case MCG_V2_PEAK:
        if (mcg_read(run, dir, s->file2, text, err) == 0)
            return 0;
        if (err->errnum == ENOENT)
            return mcg_fail(err, "%s: this kernel has no %s (Linux 5.19 and later have it)",
                            s->file, s->file2);
        return -1;
    case MCG_V2_WEIGHT:
        if (mcg_read(run, dir, s->file2, &raw, err) < 0)
            return -1;
        snprintf(buf, sizeof(buf), "%" PRIu64, mcg_weight_to_shares(strtoull(raw, NULL, 10)));
        break;
    case MCG_V2_MAX_QUOTA:
    case MCG_V2_MAX_PERIOD: {
        if (mcg_read(run, dir, s->file2, &raw, err) < 0)
            return -1;
        char quota[32] = "", period[32] = "";
        sscanf(raw, "%31s %31s", quota, period);
        if (s->v2 == MCG_V2_MAX_PERIOD)
            snprintf(buf, sizeof(buf), "%s", period);
        else
            snprintf(buf, sizeof(buf), "%s", strcmp(quota, "max") == 0 ? "-1" : quota);
        break;
    }
    case MCG_V2_MEM_MAX:
        if (mcg_read(run, dir, s->file2, &raw, err) < 0)
            return -1;
        snprintf(buf, sizeof(buf), "%s", strcmp(raw, "max") == 0 ? V1_UNLIMITED : raw);
        break;
    case MCG_V2_SWAP:
        if (mcg_read(run, dir, s->file2, &raw, err) < 0 ||
            mcg_read(run, dir, "memory.max", &raw2, err) < 0)
            break;
        if (strcmp(raw, "max") == 0 || strcmp(raw2, "max") == 0 ||
            mcg_parse_int(raw, &a, &why) < 0 || mcg_parse_int(raw2, &b, &why) < 0)
            snprintf(buf, sizeof(buf), V1_UNLIMITED);
        else
            snprintf(buf, sizeof(buf), "%" PRId64, a + b);
        break;
    case MCG_V2_MEMSW_USAGE:
        if (mcg_read(run, dir, s->file2, &raw, err) < 0)
            return -1;
        a = strtoll(raw, NULL, 10);
        if (mcg_read(run, dir, s->key2, &raw2, err) == 0)
            a += strtoll(raw2, NULL, 10); /* no swap accounting: memory alone */
        snprintf(buf, sizeof(buf), "%" PRId64, a);
        break;
    case MCG_V2_USAGE_NS:
        if (read_keyed(run, dir, s->file2, s->key2, &a, err) < 0)
            return -1;
        snprintf(buf, sizeof(buf), "%" PRId64, a * 1000);
        break;
    case MCG_V2_TICKS: {
        if (read_keyed(run, dir, s->file2, "user_usec", &a, err) < 0 ||
            read_keyed(run, dir, s->file2, "system_usec", &b, err) < 0)
            return -1;
        long hz = sysconf(_SC_CLK_TCK);
        snprintf(buf, sizeof(buf), "user %" PRId64 "\nsystem %" PRId64, a * hz / 1000000,
                 b * hz / 1000000);
        break;
    }
    case MCG_V2_IO:
        if (mcg_read(run, dir, s->file2, &raw, err) < 0)
            return -1;
        *text = io_to_v1(raw, s->key2);
        free(raw);
        return 0;
    case MCG_V2_OOM_CONTROL:
        snprintf(buf, sizeof(buf), "0");
        break;
    case MCG_V2_KEYED:
    case MCG_V2_KEYED_USEC:
        if (read_keyed(run, dir, s->file2, s->key2, &a, err) < 0)
            return -1;
        snprintf(buf, sizeof(buf), "%" PRId64, s->v2 == MCG_V2_KEYED_USEC ? a * 1000 : a);
        break;
    case MCG_V2_IO_BYTES:
        if (mcg_read(run, dir, s->file2, &raw, err) < 0)
            return -1;
        snprintf(buf, sizeof(buf), "%" PRId64, io_bytes(raw, s->key2, 0));
        break;
    default:
        return mcg_fail(err, "%s has no cgroup v2 equivalent", s->file);
    }
    int failed = (s->v2 == MCG_V2_SWAP && (!raw || !raw2));
    free(raw);
    free(raw2);
    if (failed)
        return -1;
    *text = xstrdup(buf);
    return 0;
}
