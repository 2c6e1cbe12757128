/* The --stats JSON report (src/supervisor/report.c), without root or a
 * job: reports made of known figures are written and parsed back.
 *
 *   - the keys are exactly those the man page's JSON REPORT section lists
 *     (argv[1]: man/mcgexec.1), no more and no fewer;
 *   - each figure comes back as given, an unknown one (-1) as null, and
 *     the job's end (exit code or signal, timeout, OOM kill) as documented;
 *   - a job that never ran has its error and null figures. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/run.h"
#include "core/run-internal.h"
#include "supervisor/report.h"

#include "check.h"

static char *keys[64];
static size_t nkeys;

/* The keys the man page documents: ".B key" after ".TP" in JSON REPORT. */
static void documented_keys(const char *man)
{
    FILE *f = fopen(man, "r");
    char line[512];
    int in = 0, tp = 0;

    CHECK(f != NULL, "cannot read %s", man);
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, ".SH", 3) == 0)
            in = strcmp(line, ".SH JSON REPORT") == 0;
        else if (in && strcmp(line, ".TP") == 0)
            tp = 1;
        else if (in && tp && strncmp(line, ".B ", 3) == 0 && nkeys < 64) {
            keys[nkeys++] = strdup(line + 3);
            tp = 0;
        } else
            tp = 0;
    }
    if (f)
        fclose(f);
    CHECK(nkeys >= 20, "the man page documents %zu keys", nkeys);
}

static json_t *write_and_parse(struct mcg_run *run, const struct mcg_report *r)
{
    struct mcg_supervise_opts o = { .stats = 1, .format = MCG_STATS_JSON };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    json_error_t jerr;

    mcg_write_report(f, run, &o, r, NULL); /* (closes f) */
    CHECK(len > 0 && text[len - 1] == '\n' && strchr(text, '\n') == text + len - 1,
          "one object on one line: '%s'", text);
    json_t *j = json_loads(text, 0, &jerr);
    CHECK(j && json_is_object(j), "the report parses: %s (%s)", jerr.text, text);
    free(text);
    return j;
}

static void keys_are_documented(const char *what, json_t *j)
{
    const char *key;
    json_t *v;
    size_t found = 0;

    json_object_foreach(j, key, v) {
        int known = 0;
        for (size_t i = 0; i < nkeys; i++)
            known |= strcmp(keys[i], key) == 0;
        CHECK(known, "%s: key %s is not in the man page", what, key);
        found += known;
    }
    CHECK(found == nkeys, "%s: %zu of the %zu documented keys", what, found, nkeys);
}

static int64_t integer(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -12345;
}

int main(int argc, char **argv)
{
    char *command[] = { "make", "-j4", NULL };

    documented_keys(argc > 1 ? argv[1] : "man/mcgexec.1");

    /* a job that ran: every figure known */
    struct mcg_report r = {
        .command = command, .exited = 1, .exit_code = 2, .status = 2, .wall = 12.5,
        .user = 3.25, .sys = 0.5, .cpu_source = "cgroup", .memory_source = "cgroup",
        .mem_peak = 104857600, .mem_limit = 536870912, .tasks_peak = 17,
        .d = { .oom_kills = 0, .limit_hits = 3, .throttled = 40, .throttled_ns = 1500000000,
               .io_read = 4096, .io_write = 8192, .psi = { { 10, 5 }, { 20, 0 }, { 30, 1 } },
               .events = { 0, 7, 3, 0, 0 } },
    };
    struct mcg_run *run = mcg_run_new(&(struct mcg_run_opts){ 0 });
    run->pos.layout = MCG_LAYOUT_UNIFIED;
    json_t *j = write_and_parse(run, &r);
    keys_are_documented("a job that ran", j);
    CHECK(integer(j, "version") == 1, "version 1");
    CHECK(json_is_null(json_object_get(j, "error")), "no error");
    CHECK(json_array_size(json_object_get(j, "command")) == 2 &&
              strcmp(json_string_value(json_array_get(json_object_get(j, "command"), 1)), "-j4") == 0,
          "the command, argument by argument");
    CHECK(integer(j, "status") == 2 && integer(j, "exit_code") == 2, "status and exit code");
    CHECK(json_is_null(json_object_get(j, "signal")), "no signal");
    CHECK(json_is_false(json_object_get(j, "timed_out")) &&
              json_is_false(json_object_get(j, "oom_killed")),
          "neither timed out nor OOM-killed");
    CHECK(json_real_value(json_object_get(j, "wall_time_s")) == 12.5 &&
              json_real_value(json_object_get(j, "cpu_user_s")) == 3.25 &&
              json_real_value(json_object_get(j, "cpu_throttled_s")) == 1.5,
          "times in seconds");
    CHECK(integer(j, "memory_peak_bytes") == 104857600 &&
              integer(j, "memory_limit_bytes") == 536870912 && integer(j, "tasks_peak") == 17 &&
              integer(j, "memory_limit_hits") == 3 && integer(j, "cpu_throttled_periods") == 40 &&
              integer(j, "io_read_bytes") == 4096 && integer(j, "io_write_bytes") == 8192,
          "the figures as given");
    json_t *psi = json_object_get(j, "psi"), *mem = json_object_get(psi, "memory");
    CHECK(json_object_size(psi) == 3 && integer(mem, "some_us") == 20 &&
              integer(mem, "full_us") == 0,
          "pressure by resource, some and full");
    CHECK(integer(json_object_get(j, "memory_events"), "high") == 7,
          "memory events by the kernel's names");
    CHECK(integer(j, "cgroup_version") == 2, "cgroup v2");
    json_decref(j);

    /* killed by a signal at the timeout, figures unknown, on v1 */
    r.exited = 0;
    r.signal = 9;
    r.status = 124;
    r.timed_out = 1;
    r.mem_peak = r.mem_limit = r.tasks_peak = -1;
    r.d.throttled_ns = r.d.io_read = r.d.psi[1][0] = r.d.events[1] = -1;
    run->pos.layout = MCG_LAYOUT_V1;
    j = write_and_parse(run, &r);
    CHECK(json_is_null(json_object_get(j, "exit_code")) && integer(j, "signal") == 9 &&
              json_is_true(json_object_get(j, "timed_out")) && integer(j, "status") == 124,
          "a signal death at the timeout");
    CHECK(json_is_null(json_object_get(j, "memory_peak_bytes")) &&
              json_is_null(json_object_get(j, "memory_limit_bytes")) &&
              json_is_null(json_object_get(j, "cpu_throttled_s")) &&
              json_is_null(json_object_get(j, "io_read_bytes")) &&
              json_is_null(json_object_get(json_object_get(json_object_get(j, "psi"), "memory"),
                                           "some_us")) &&
              json_is_null(json_object_get(json_object_get(j, "memory_events"), "high")),
          "unknown figures are null");
    CHECK(integer(j, "cgroup_version") == 1, "cgroup v1");
    json_decref(j);
    mcg_run_free(run);

    /* a job that never ran: no run, the error, every figure null */
    struct mcg_report none = { .command = command, .status = 125, .cpu_source = "none",
                               .memory_source = "none", .mem_peak = -1, .mem_limit = -1,
                               .tasks_peak = -1, .error = "policy.rb:3: memory: bad size" };
    none.d = (struct mcg_counters){ -1, -1, -1, -1, -1, -1, -1, -1,
                                    { { -1, -1 }, { -1, -1 }, { -1, -1 } }, { -1, -1, -1, -1, -1 } };
    j = write_and_parse(NULL, &none);
    keys_are_documented("a job that never ran", j);
    CHECK(strcmp(json_string_value(json_object_get(j, "error")), none.error) == 0 &&
              integer(j, "status") == 125,
          "the error and mcgexec's status");
    CHECK(json_is_null(json_object_get(j, "cgroup_version")) &&
              json_object_size(json_object_get(j, "groups")) == 0 &&
              json_is_null(json_object_get(j, "oom_kills")),
          "no layout, no groups, no figures");
    json_decref(j);

    printf("%d checks, %d failed\n", checks, failures);
    return failures != 0;
}
