/* Each setting's way to cgroup v2 and back to v1 terms: the rows of
 * functions the settings table points at (v1v2.h); the I/O weight's are in
 * v1v2_weight.c. */
#define _GNU_SOURCE
#include "settings/v1v2.h"
#include "base/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/values.h"


/* What v1 reads for "no limit" in memory files (PAGE_COUNTER_MAX pages). */
#define V1_UNLIMITED "9223372036854771712"


int mcg_staged_is(const struct mcg_staged *e, const char *file)
{
    return e->setting && strcmp(e->setting->file, file) == 0;
}

/* Read a file that may not exist yet in a dry run (a planned group). */
static int read_or(struct mcg_run *run, const char *dir, const char *file, const char *dflt,
                   char **out, struct mcg_error *err)
{
    if (mcg_dry_run(run) && access(dir, F_OK) != 0) {
        *out = xstrdup(dflt);
        return 0;
    }
    return mcg_read(run, dir, file, out, err);
}

int mcg_give_int(char **text, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    *text = xstrdup(buf);
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

/* A file that holds one number. */
static int read_keyed_whole(struct mcg_run *run, const char *dir, const char *file, int64_t *v,
                            struct mcg_error *err)
{
    char *text;

    if (mcg_read(run, dir, file, &text, err) < 0)
        return -1;
    *v = strtoll(text, NULL, 10);
    free(text);
    return 0;
}

/* ---- the mappings: writing ---- */

/* Same file, same value. */
static int write_same(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                      const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    (void)st, (void)n;
    return mcg_write(run, dir, e->setting->file2, e->value, err);
}

/* -1 (no limit) is "max": memory.max, and cpu.max's first field (one
 * number written to cpu.max sets the quota and keeps the period). */
static int write_max(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                     const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    (void)st, (void)n;
    return mcg_write(run, dir, e->setting->file2, strcmp(e->value, "-1") == 0 ? "max" : e->value,
                     err);
}

static int write_weight(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                        const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    char buf[32];
    int64_t v;
    const char *why;

    (void)st, (void)n;
    if (mcg_parse_int(e->value, &v, &why) < 0 || v < 0)
        return mcg_fail(err, "cpu.shares must be a positive integer");
    if (v == 0)
        return 0; /* 0: leave the weight unset, as crun and runc do */
    snprintf(buf, sizeof(buf), "%" PRIu64, mcg_shares_to_weight((uint64_t)v));
    return mcg_write(run, dir, e->setting->file2, buf, err);
}

/* The period is cpu.max's second field: the quota there stays. */
static int write_max_period(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                            const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    char *cur = NULL, *buf;

    (void)st, (void)n;
    if (read_or(run, dir, e->setting->file2, "max 100000", &cur, err) < 0)
        return -1;
    cur[strcspn(cur, " ")] = '\0';
    if (asprintf(&buf, "%s %s", cur, e->value) < 0)
        abort();
    free(cur);
    int r = mcg_write(run, dir, e->setting->file2, buf, err);
    free(buf);
    return r;
}

/* The memory limit memory.swap.max is computed from: staged with the
 * memsw limit, or the group's; -1 when there is none. */
static int current_limit(struct mcg_run *run, const char *dir, const struct mcg_staged *st,
                         size_t n, int64_t *limit, struct mcg_error *err)
{
    const struct mcg_staged *lim = NULL;
    const char *why;
    char *cur = NULL;

    *limit = -1;
    for (size_t i = 0; i < n; i++)
        if (mcg_staged_is(&st[i], "memory.limit_in_bytes"))
            lim = &st[i];
    if (lim)
        return mcg_parse_int(lim->value, limit, &why) < 0 ? mcg_fail(err, "%s", why) : 0;
    if (read_or(run, dir, "memory.max", "max", &cur, err) < 0)
        return -1;
    if (strcmp(cur, "max") != 0 && mcg_parse_int(cur, limit, &why) < 0)
        *limit = -1;
    free(cur);
    return 0;
}

/* memory.swap.max = memsw - limit */
static int write_swap(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                      const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    int64_t memsw, limit;
    const char *why;
    char buf[32];

    if (mcg_parse_int(e->value, &memsw, &why) < 0)
        return mcg_fail(err, "%s", why);
    if (memsw == -1)
        return mcg_write(run, dir, e->setting->file2, "max", err);
    if (current_limit(run, dir, st, n, &limit, err) < 0)
        return -1;
    if (limit < 0)
        return mcg_fail(err, "on cgroup v2 a memory+swap limit needs a memory limit too "
                             "(memory.swap.max = memsw - limit)");
    if (memsw < limit)
        return mcg_fail(err, "memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
                        memsw, limit);
    snprintf(buf, sizeof(buf), "%" PRId64, memsw - limit);
    return mcg_write(run, dir, e->setting->file2, buf, err);
}

/* "MAJ:MIN N" -> "MAJ:MIN rbps=N"; the line's other keys stay as they are.
 * v1's 0 (no limit) is v2's "max". */
static int write_io(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                    const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    const struct mcg_setting *s = e->setting;
    char dev[64], buf[128];
    long long rate;

    (void)st, (void)n;
    if (sscanf(e->value, "%63s %lld", dev, &rate) != 2)
        return mcg_fail(err, "bad device value");
    if (rate == 0)
        snprintf(buf, sizeof(buf), "%s %s=max", dev, s->key2);
    else
        snprintf(buf, sizeof(buf), "%s %s=%lld", dev, s->key2, rate);
    return mcg_write(run, dir, s->file2, buf, err);
}

/* The OOM killer is always on in v2: false is already so, true cannot be. */
static int write_oom_control(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                             const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    (void)run, (void)dir, (void)st, (void)n;
    if (strcmp(e->value, "0") == 0)
        return 0;
    return mcg_fail(err, "cgroup v2 cannot disable the OOM killer");
}

/* ---- the mappings: reading back in v1 terms ---- */

static int read_same(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                     char **text, struct mcg_error *err)
{
    return mcg_read(run, dir, s->file2, text, err);
}

static int read_peak(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                     char **text, struct mcg_error *err)
{
    if (mcg_read(run, dir, s->file2, text, err) == 0)
        return 0;
    if (err->errnum == ENOENT)
        return mcg_fail(err, "%s: this kernel has no %s (Linux 5.19 and later have it)",
                        s->file, s->file2);
    return -1;
}

static int read_weight(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                       char **text, struct mcg_error *err)
{
    char *raw;

    if (mcg_read(run, dir, s->file2, &raw, err) < 0)
        return -1;
    uint64_t shares = mcg_weight_to_shares(strtoull(raw, NULL, 10));
    free(raw);
    return mcg_give_int(text, (int64_t)shares);
}

/* cpu.max "QUOTA PERIOD": field 0 or 1, "max" read as -1. */
static int read_max_field(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                          char **text, int field, struct mcg_error *err)
{
    char *raw, f[2][32] = { "", "" };

    if (mcg_read(run, dir, s->file2, &raw, err) < 0)
        return -1;
    sscanf(raw, "%31s %31s", f[0], f[1]);
    free(raw);
    *text = xstrdup(field == 0 && strcmp(f[0], "max") == 0 ? "-1" : f[field]);
    return 0;
}

static int read_max_quota(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                          char **text, struct mcg_error *err)
{
    return read_max_field(run, dir, s, text, 0, err);
}

static int read_max_period(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                           char **text, struct mcg_error *err)
{
    return read_max_field(run, dir, s, text, 1, err);
}

static int read_mem_max(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                        char **text, struct mcg_error *err)
{
    char *raw;

    if (mcg_read(run, dir, s->file2, &raw, err) < 0)
        return -1;
    if (strcmp(raw, "max") == 0) {
        free(raw);
        raw = xstrdup(V1_UNLIMITED);
    }
    *text = raw;
    return 0;
}

/* memsw = memory.swap.max + memory.max */
static int read_swap(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                     char **text, struct mcg_error *err)
{
    char *swap = NULL, *mem = NULL;
    int64_t a, b;
    const char *why;
    int r = -1;

    if (mcg_read(run, dir, s->file2, &swap, err) == 0 &&
        mcg_read(run, dir, "memory.max", &mem, err) == 0) {
        if (strcmp(swap, "max") == 0 || strcmp(mem, "max") == 0 ||
            mcg_parse_int(swap, &a, &why) < 0 || mcg_parse_int(mem, &b, &why) < 0)
            r = (*text = xstrdup(V1_UNLIMITED)) ? 0 : -1;
        else
            r = mcg_give_int(text, a + b);
    }
    free(swap);
    free(mem);
    return r;
}

/* memory.current + memory.swap.current (memory alone without swap
 * accounting) */
static int read_memsw_usage(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                            char **text, struct mcg_error *err)
{
    char *raw;

    if (mcg_read(run, dir, s->file2, &raw, err) < 0)
        return -1;
    int64_t a = strtoll(raw, NULL, 10);
    free(raw);
    if (mcg_read(run, dir, s->key2, &raw, err) == 0) {
        a += strtoll(raw, NULL, 10);
        free(raw);
    }
    return mcg_give_int(text, a);
}

static int read_keyed_as_is(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                            char **text, struct mcg_error *err)
{
    int64_t a;
    return read_keyed(run, dir, s->file2, s->key2, &a, err) < 0 ? -1 : mcg_give_int(text, a);
}

/* v2 counts microseconds where v1 and the API count nanoseconds. */
static int read_keyed_usec(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                           char **text, struct mcg_error *err)
{
    int64_t a;
    return read_keyed(run, dir, s->file2, s->key2, &a, err) < 0 ? -1 : mcg_give_int(text, a * 1000);
}

/* cpuacct.stat's "user N\nsystem N" in USER_HZ ticks, from cpu.stat */
static int read_ticks(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                      char **text, struct mcg_error *err)
{
    int64_t a, b;
    char buf[96];

    if (read_keyed(run, dir, s->file2, "user_usec", &a, err) < 0 ||
        read_keyed(run, dir, s->file2, "system_usec", &b, err) < 0)
        return -1;
    long hz = sysconf(_SC_CLK_TCK);
    snprintf(buf, sizeof(buf), "user %" PRId64 "\nsystem %" PRId64, a * hz / 1000000,
             b * hz / 1000000);
    *text = xstrdup(buf);
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

static int read_io(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                   char **text, struct mcg_error *err)
{
    char *raw;

    if (mcg_read(run, dir, s->file2, &raw, err) < 0)
        return -1;
    *text = io_to_v1(raw, s->key2);
    free(raw);
    return 0;
}

static int read_oom_control(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                            char **text, struct mcg_error *err)
{
    (void)run, (void)dir, (void)s, (void)err;
    *text = xstrdup("0");
    return 0;
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

static int read_io_bytes_in(struct mcg_run *run, const char *dir, const char *file,
                            const char *key, int v1, char **text, struct mcg_error *err)
{
    char *raw;

    if (mcg_read(run, dir, file, &raw, err) < 0)
        return -1;
    int64_t sum = io_bytes(raw, key, v1);
    free(raw);
    return mcg_give_int(text, sum);
}

static int read_io_bytes(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                         char **text, struct mcg_error *err)
{
    return read_io_bytes_in(run, dir, s->file2, s->key2, 0, text, err);
}

static int read_io_bytes_v1(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                            char **text, struct mcg_error *err)
{
    return read_io_bytes_in(run, dir, s->file, s->key1, 1, text, err);
}

/* ---- pressure and events ---- */

/* Pressure files in v1 groups exist only where the kernel offers them. */
static int read_pressure_v1(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                            char **text, struct mcg_error *err)
{
    if (mcg_read(run, dir, s->file, text, err) == 0)
        return 0;
    if (err->errnum == ENOENT)
        return mcg_fail(err, "%s: this kernel keeps no pressure for cgroup v1 groups (cgroup v2 "
                             "does)", s->file);
    return -1;
}

/* memory.events in v1 terms: max from memory.failcnt (times the limit was
 * hit), oom_kill from memory.oom_control; v1 counts nothing else of it. */
static int read_events_v1(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                          char **text, struct mcg_error *err)
{
    int64_t max, kills;
    char buf[96];

    (void)s;
    if (read_keyed_whole(run, dir, "memory.failcnt", &max, err) < 0 ||
        read_keyed(run, dir, "memory.oom_control", "oom_kill", &kills, err) < 0)
        return -1;
    snprintf(buf, sizeof(buf), "max %" PRId64 "\noom_kill %" PRId64, max, kills);
    *text = xstrdup(buf);
    return 0;
}

/* ---- the mappings ---- */

const struct mcg_mapping mcg_v2_same = { .describe = "$f", .write = write_same, .read = read_same };
const struct mcg_mapping mcg_v2_none = { .describe = "-" };
const struct mcg_mapping mcg_v2_weight = { .describe = "$f (from shares)", .write = write_weight,
                                          .read = read_weight };
const struct mcg_mapping mcg_v2_max_quota = { .describe = "$f (first field, -1 as max)",
                                             .write = write_max, .read = read_max_quota };
const struct mcg_mapping mcg_v2_max_period = { .describe = "$f (second field)",
                                              .write = write_max_period,
                                              .read = read_max_period };
const struct mcg_mapping mcg_v2_mem_max = { .describe = "$f", .write = write_max,
                                           .read = read_mem_max };
const struct mcg_mapping mcg_v2_swap = { .describe = "$f (memsw - limit)", .write = write_swap,
                                        .read = read_swap };
const struct mcg_mapping mcg_v2_io = { .describe = "$f $k=", .write = write_io, .read = read_io };
/* read-only, a number in another file (memory.current) */
const struct mcg_mapping mcg_v2_read = { .describe = "$f", .read = read_same };
/* memory.peak, where the kernel has it (5.19+) */
const struct mcg_mapping mcg_v2_peak = { .describe = "$f (5.19+)", .read = read_peak };
const struct mcg_mapping mcg_v2_usage_ns = {
    .describe = "$f $k (x1000)", .read = read_keyed_usec,
    .no_write = "cannot be reset on cgroup v2 (cpu.stat usage_usec only grows)",
};
const struct mcg_mapping mcg_v2_ticks = { .describe = "$f user_usec, system_usec",
                                         .read = read_ticks };
const struct mcg_mapping mcg_v2_memsw_usage = { .describe = "$f + $k", .read = read_memsw_usage };
const struct mcg_mapping mcg_v2_oom_control = { .describe = "- (reads false)",
                                               .write = write_oom_control,
                                               .read = read_oom_control };
/* a number: key2 in file2 (v1: key1 in file, or the whole file) */
const struct mcg_mapping mcg_v2_keyed = { .describe = "$f $k", .read = read_keyed_as_is };
const struct mcg_mapping mcg_v2_keyed_usec = { .describe = "$f $k (x1000)",
                                              .read = read_keyed_usec };
const struct mcg_mapping mcg_v2_io_bytes = { .describe = "$f $k=", .read = read_io_bytes,
                                            .read_v1 = read_io_bytes_v1 };
/* cgroup v2 only (memory.min, memory.oom.group ...): an error on v1 */
const struct mcg_mapping mcg_v2_only_same = { .describe = "$f", .write = write_same,
                                             .read = read_same, .v2_only = 1 };
const struct mcg_mapping mcg_v2_only_max = { .describe = "$f (-1 as max)", .write = write_max,
                                            .read = read_mem_max, .v2_only = 1 };
const struct mcg_mapping mcg_v2_pressure = { .describe = "$f", .read = read_same,
                                            .read_v1 = read_pressure_v1 };
const struct mcg_mapping mcg_v2_events = { .describe = "$f", .read = read_same,
                                          .read_v1 = read_events_v1 };

/* v1: the whole file, or the number on its line key1 */
int mcg_read_v1(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                   char **text, struct mcg_error *err)
{
    int64_t a;

    if (s->map->read_v1)
        return s->map->read_v1(run, dir, s, text, err);
    if (!s->key1)
        return mcg_read(run, dir, s->file, text, err);
    return read_keyed(run, dir, s->file, s->key1, &a, err) < 0 ? -1 : mcg_give_int(text, a);
}

