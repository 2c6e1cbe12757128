/* The report for CI pages (summary.h).  Markdown: a heading with the
 * command and how it ended, a table of the totals against the limits, a
 * sparkline per resource (eight levels of U+2581..U+2588 over at most
 * SPARK_WIDTH characters, each the largest of its share of the buckets for
 * memory and tasks, the sum for CPU and I/O), the events.  OpenMetrics:
 * one gauge family per figure of the report, unknown ones left out. */
#define _GNU_SOURCE
#include "render/summary.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#define SPARK_WIDTH 48

static double num(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const json_t *get(const json_t *o, const char *key)
{
    return json_object_get(o, key);
}

/* "1.5 GiB" */
static void bytes(char *buf, size_t len, double v)
{
    static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int k = 0;
    while (v >= 1024 && k < 4) {
        v /= 1024;
        k++;
    }
    snprintf(buf, len, k ? "%.1f %s" : "%.0f %s", v, u[k]);
}

/* Markdown's table cells: no pipes or line ends from a command line. */
static void put_cell_text(FILE *out, const char *s)
{
    for (; *s; s++)
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '`')
            fputc('\'', out);
        else if ((unsigned char)*s < 0x20)
            fputc(' ', out);
        else
            fputc(*s, out);
}

/* A sparkline of a record's series (sum: each character the sum of its
 * buckets, else their maximum); nothing where the series is unknown. */
static void spark(FILE *out, const json_t *record, const char *key, int sum)
{
    static const char *const bars[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
                                        "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
                                        "\xe2\x96\x87", "\xe2\x96\x88" };
    const json_t *s = get(get(record, "series"), key);
    size_t n = json_array_size(s), w = n < SPARK_WIDTH ? n : SPARK_WIDTH;
    double v[SPARK_WIDTH], max = 0;
    int known = 0;

    if (!w)
        return;
    for (size_t c = 0; c < w; c++) {
        v[c] = NAN;
        for (size_t i = c * n / w; i < (c + 1) * n / w; i++) {
            double x = num(json_array_get(s, i));
            if (isnan(x))
                continue;
            v[c] = isnan(v[c]) ? x : sum ? v[c] + x : fmax(v[c], x);
        }
        if (!isnan(v[c])) {
            known = 1;
            max = fmax(max, v[c]);
        }
    }
    if (!known)
        return;
    fputs(" `", out);
    for (size_t c = 0; c < w; c++)
        fputs(isnan(v[c]) ? " " : bars[max > 0 ? (int)lround(7 * v[c] / max) : 0], out);
    fputc('`', out);
}

static void row(FILE *out, const char *what, const char *used, const json_t *record,
                const char *series, int sum, const char *limit)
{
    fprintf(out, "| %s | %s", what, used);
    if (record)
        spark(out, record, series, sum);
    fprintf(out, " | %s |\n", limit && *limit ? limit : "");
}

void mcg_summary_markdown(FILE *out, const json_t *rep, const json_t *rec)
{
    const json_t *cmd = get(rep, "command"), *a;
    const json_t *lim = rec ? get(rec, "limits") : NULL;
    char used[160], limit[64], b1[32], b2[32];
    size_t i;
    double wall = num(get(rep, "wall_time_s"));

    fputs("### `", out);
    json_array_foreach(cmd, i, a) {
        if (i)
            fputc(' ', out);
        put_cell_text(out, json_string_value(a) ?: "");
        if (i >= 20) {
            fputs(" ...", out);
            break;
        }
    }
    fputs("`: ", out);
    if (json_is_string(get(rep, "error")))
        fprintf(out, "did not run (status %lld)\n\n%s\n", (long long)json_integer_value(get(rep, "status")),
                json_string_value(get(rep, "error")));
    else {
        if (json_is_true(get(rep, "timed_out")))
            fputs("timed out", out);
        else if (json_is_true(get(rep, "oom_killed")))
            fputs("killed by the OOM killer", out);
        else if (json_is_integer(get(rep, "signal")))
            fprintf(out, "killed by signal %lld", (long long)json_integer_value(get(rep, "signal")));
        else
            fprintf(out, "exit %lld", (long long)json_integer_value(get(rep, "exit_code")));
        fprintf(out, " after %.1f s (status %lld)\n\n", wall,
                (long long)json_integer_value(get(rep, "status")));
    }
    fputs("| | used | limit |\n|---|---|---|\n", out);
    double user = num(get(rep, "cpu_user_s")), sys = num(get(rep, "cpu_system_s"));
    snprintf(used, sizeof(used), "%.2f s user, %.2f s system (%.2f CPUs on average)", user, sys,
             wall > 0 ? (user + sys) / wall : 0);
    limit[0] = '\0';
    if (lim && json_is_number(get(lim, "cpu_quota_cores")))
        snprintf(limit, sizeof(limit), "quota %.2f CPUs", num(get(lim, "cpu_quota_cores")));
    row(out, "CPU", used, rec, "cpu_cores", 0, limit);
    if (json_is_integer(get(rep, "cpu_throttled_periods"))) {
        snprintf(used, sizeof(used), "%lld periods, %.2f s",
                 (long long)json_integer_value(get(rep, "cpu_throttled_periods")),
                 num(get(rep, "cpu_throttled_s")));
        row(out, "Throttled", used, rec, "cpu_throttled_s", 1, NULL);
    }
    if (json_is_integer(get(rep, "memory_peak_bytes"))) {
        bytes(b1, sizeof(b1), num(get(rep, "memory_peak_bytes")));
        snprintf(used, sizeof(used), "peak %s", b1);
        limit[0] = '\0';
        if (json_is_integer(get(rep, "memory_limit_bytes")))
            bytes(limit, sizeof(limit), num(get(rep, "memory_limit_bytes")));
        row(out, "Memory", used, rec, "memory_bytes", 0, limit);
    }
    snprintf(used, sizeof(used), "%lld", (long long)json_integer_value(get(rep, "oom_kills")));
    if (json_is_integer(get(rep, "oom_kills")))
        row(out, "OOM kills", used, NULL, NULL, 0, NULL);
    if (json_is_integer(get(rep, "io_read_bytes"))) {
        bytes(b1, sizeof(b1), num(get(rep, "io_read_bytes")));
        bytes(b2, sizeof(b2), num(get(rep, "io_write_bytes")));
        snprintf(used, sizeof(used), "%s read, %s written", b1, b2);
        row(out, "I/O", used, rec, "io_read_bytes", 1, NULL);
    }
    if (json_is_integer(get(rep, "tasks_peak"))) {
        snprintf(used, sizeof(used), "peak %lld", (long long)json_integer_value(get(rep, "tasks_peak")));
        limit[0] = '\0';
        if (lim && json_is_integer(get(lim, "pids_max")))
            snprintf(limit, sizeof(limit), "%lld", (long long)json_integer_value(get(lim, "pids_max")));
        row(out, "Tasks", used, rec, "pids", 0, limit);
    }
    const json_t *psi = get(rep, "psi");
    static const char *const res[] = { "cpu", "memory", "io" };
    size_t at = 0;
    for (size_t k = 0; k < 3; k++) {
        double us = num(get(get(psi, res[k]), "some_us"));
        if (!isnan(us))
            at += (size_t)snprintf(used + at, sizeof(used) - at, "%s%s %.2f s", at ? ", " : "",
                                   res[k], us / 1e6);
    }
    if (at)
        row(out, "Stalled (some)", used, rec, "memory_some_s", 1, NULL);
    /* the events, in order, where a record was taken */
    const json_t *events = rec ? get(rec, "events") : NULL, *e;
    int any = 0;
    json_array_foreach(events, i, e) {
        const char *kind = json_string_value(get(e, "kind")) ?: "";
        if (strcmp(kind, "exit") == 0)
            continue;
        if (!any++)
            fputs("\nEvents:", out);
        fprintf(out, "%s %.2f s %s", any > 1 ? ";" : "", num(get(e, "t_s")), kind);
        if (json_is_string(get(e, "detail")))
            fprintf(out, " %s", json_string_value(get(e, "detail")));
        if (json_integer_value(get(e, "count")) > 1)
            fprintf(out, " (%lld)", (long long)json_integer_value(get(e, "count")));
        if (any >= 50) {
            fputs("; ...", out);
            break;
        }
    }
    if (any)
        fputc('\n', out);
    fputc('\n', out);
}

/* ---- OpenMetrics --------------------------------------------------------- */

static void family(FILE *out, const char *name, const char *unit, const char *help, double v)
{
    if (isnan(v))
        return;
    fprintf(out, "# TYPE %s gauge\n", name);
    if (unit)
        fprintf(out, "# UNIT %s %s\n", name, unit);
    fprintf(out, "# HELP %s %s\n%s %.10g\n", name, help, name, v);
}

static double flag(const json_t *v)
{
    return json_is_boolean(v) ? (json_is_true(v) ? 1 : 0) : NAN;
}

/* The report's figures as OpenMetrics families: the report's key, the
 * family's name, its unit (NULL for a count), and what it is. */
static const struct {
    const char *key, *name, *unit, *help;
} families[] = {
    { "status", "mcgexec_exit_status", NULL, "mcgexec's exit status." },
    { "timed_out", "mcgexec_timed_out", NULL, "1 when --timeout expired." },
    { "oom_killed", "mcgexec_oom_killed", NULL, "1 when the OOM killer killed COMMAND." },
    { "wall_time_s", "mcgexec_wall_time_seconds", "seconds", "From the start of COMMAND to its end." },
    { "cpu_user_s", "mcgexec_cpu_user_seconds", "seconds", "CPU time in user mode, the whole job." },
    { "cpu_system_s", "mcgexec_cpu_system_seconds", "seconds", "CPU time in the kernel, the whole job." },
    { "cpu_throttled_s", "mcgexec_cpu_throttled_seconds", "seconds",
      "Time the CPU quota throttled the job." },
    { "cpu_throttled_periods", "mcgexec_cpu_throttled_periods", NULL,
      "CFS periods the job was throttled in." },
    { "memory_peak_bytes", "mcgexec_memory_peak_bytes", "bytes", "The job's peak memory." },
    { "memory_limit_bytes", "mcgexec_memory_limit_bytes", "bytes", "The job's memory limit." },
    { "oom_kills", "mcgexec_oom_kills", NULL, "Processes the OOM killer killed in the job's group." },
    { "memory_limit_hits", "mcgexec_memory_limit_hits", NULL, "Times the job's memory hit its limit." },
    { "io_read_bytes", "mcgexec_io_read_bytes", "bytes", "Bytes read from block devices." },
    { "io_write_bytes", "mcgexec_io_write_bytes", "bytes", "Bytes written to block devices." },
    { "tasks_peak", "mcgexec_tasks_peak", NULL, "The largest number of tasks in the job's group." },
};

void mcg_summary_openmetrics(FILE *out, const json_t *rep)
{
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        const json_t *v = get(rep, families[i].key);
        family(out, families[i].name, families[i].unit, families[i].help,
               json_is_boolean(v) ? flag(v) : num(v));
    }
    /* stall time: one family, a sample per resource and kind */
    const json_t *psi = get(rep, "psi");
    static const char *const res[] = { "cpu", "memory", "io" }, *const kinds[] = { "some", "full" };
    int head = 0;
    for (size_t r = 0; r < 3; r++)
        for (size_t k = 0; k < 2; k++) {
            char key[16];
            snprintf(key, sizeof(key), "%s_us", kinds[k]);
            double us = num(get(get(psi, res[r]), key));
            if (isnan(us))
                continue;
            if (!head++)
                fputs("# TYPE mcgexec_stall_seconds gauge\n# UNIT mcgexec_stall_seconds seconds\n"
                      "# HELP mcgexec_stall_seconds Time the job stalled (pressure stall "
                      "information).\n", out);
            fprintf(out, "mcgexec_stall_seconds{resource=\"%s\",kind=\"%s\"} %.10g\n", res[r],
                    kinds[k], us / 1e6);
        }
    fputs("# EOF\n", out);
}
