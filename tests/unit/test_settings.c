/* Every row of the settings table (--list-settings), written and read back
 * through a model of each layout, without root: a directory of plain files
 * stands in for a group, one file per control file with the kernel's
 * default text.  For each setting a policy can write on that layout:
 *
 *   - a value in v1 terms goes through mcg_apply_staged (the row's
 *     mapping on v2) and lands in the file the table names;
 *   - mcg_read_setting gives it back in v1 terms: the same value, or for
 *     the mappings that round (cpu.shares to cpu.weight, the I/O weight) a
 *     value that writes the same file text again (a fixed point);
 *   - a setting the layout lacks is refused by mcg_setting_usable in one
 *     line naming the file, and a read-only one is refused for writing.
 *
 * Only plain file semantics are modelled: what the kernel itself does
 * with a value (io.max merging devices, cpu.max's two fields) is the bats
 * suite's, on real kernels. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/run.h"
#include "core/run-internal.h"
#include "settings/settings.h"

#include "check.h"

static char group[256];

/* The text a fresh group's file holds, where "0" would not parse. */
static const char *default_text(const char *file, int v2)
{
    static const char *const v2_files[][2] = {
        { "cpu.max", "max 100000" },
        { "cpu.weight", "100" },
        { "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\n"
                      "nr_throttled 0\nthrottled_usec 0" },
        { "io.max", "" },
        { "io.weight", "default 100" },
        { "io.bfq.weight", "default 100" },
        { "memory.max", "max" },
        { "memory.high", "max" },
        { "memory.swap.max", "max" },
        { "pids.max", "max" },
        { "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0" },
        { "memory.stat", "anon 0\nfile 0" },
    };
    static const char *const v1_files[][2] = {
        { "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0" },
        { "cpuacct.stat", "user 0\nsystem 0" },
        { "memory.limit_in_bytes", "9223372036854771712" },
        { "memory.memsw.limit_in_bytes", "9223372036854771712" },
        { "memory.soft_limit_in_bytes", "9223372036854771712" },
        { "pids.max", "max" },
        { "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0" },
        { "blkio.throttle.read_bps_device", "" },
        { "blkio.throttle.write_bps_device", "" },
        { "blkio.throttle.read_iops_device", "" },
        { "blkio.throttle.write_iops_device", "" },
        { "blkio.weight_device", "" },
    };
    const char *const(*t)[2] = v2 ? v2_files : v1_files;
    size_t n = v2 ? sizeof(v2_files) / sizeof(v2_files[0]) : sizeof(v1_files) / sizeof(v1_files[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i][0], file) == 0)
            return t[i][1];
    if (strstr(file, "pressure"))
        return "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
               "full avg10=0.00 avg60=0.00 avg300=0.00 total=0";
    return "0";
}

static void put(const char *file, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", group, file);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static char *get(const char *file)
{
    char path[512], *text = NULL;
    snprintf(path, sizeof(path), "%s/%s", group, file);
    if (mcg_read_file(path, &text) < 0)
        return strdup("(missing)");
    return text;
}

/* A fresh group of the layout: every file the table names. */
static void fresh_group(int v2)
{
    for (size_t i = 0; i < mcg_nsettings; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        const char *file = v2 ? (s->map->v2_only ? s->file : s->file2) : s->file;
        if (file && (!v2 || s->file2 || s->map->v2_only))
            put(file, default_text(file, v2));
    }
}

/* The file a row writes on the layout (NULL: none of its own). */
static const char *file_of(const struct mcg_setting *s, int v2)
{
    return !v2 || s->map->v2_only ? s->file : s->file2;
}

/* A value a policy could give, already checked and in v1 terms. */
static const char *sample(const struct mcg_setting *s)
{
    if (strcmp(s->file, "cpu.cfs_period_us") == 0)
        return "50000";
    if (strcmp(s->file, "cpu.shares") == 0)
        return "512";
    if (strstr(s->file, "weight_device"))
        return "8:0 300";
    if (strstr(s->file, "weight"))
        return "300";
    if (strcmp(s->method, "usage") == 0 || strcmp(s->file, "memory.oom_control") == 0)
        return "0"; /* (a reset; the OOM killer on: what both layouts take) */
    if (strcmp(s->file, "memory.memsw.limit_in_bytes") == 0)
        return "134217728"; /* (with a memory limit of 64 MiB: see write_and_look) */
    switch (s->kind) {
    case MCG_K_QUOTA: return "25000";
    case MCG_K_SIZE: return "67108864";
    case MCG_K_COUNT: return "100";
    case MCG_K_CPULIST: return "0";
    case MCG_K_DEVRATE: return "8:0 1000";
    case MCG_K_DEVBPS: return "8:0 1048576";
    case MCG_K_BOOL: return "1";
    case MCG_K_USEC: return "20000";
    default: return "7";
    }
}

/* The row's file text after writing `value` (v1 terms) to a fresh group. */
static char *write_and_look(struct mcg_run *run, const struct mcg_setting *s, const char *value,
                            int v2, int *ok)
{
    struct mcg_error err = { 0 };
    struct mcg_staged e[2] = {
        { .setting = s, .file = (char *)s->file, .value = (char *)value, .shown = (char *)value,
          .line = 1 },
    };
    size_t n = 1, failed = 0;

    /* memory+swap is a limit above the memory limit, which comes with it */
    if (strcmp(s->file, "memory.memsw.limit_in_bytes") == 0) {
        e[1] = e[0];
        e[0].setting = mcg_setting_find(MCG_MEMORY, "limit_in_bytes");
        e[0].file = "memory.limit_in_bytes";
        e[0].value = e[0].shown = "67108864";
        n = 2;
    }
    fresh_group(v2);
    *ok = mcg_apply_staged(run, group, e, n, &failed, &err) == 0;
    CHECK(*ok, "%s %s = %s: %s", v2 ? "v2" : "v1", s->file, value, err.msg);
    return get(file_of(s, v2) ? file_of(s, v2) : "(none)");
}

/* Does the row's mapping round values (so that only a fixed point holds)? */
static int rounds(const struct mcg_setting *s)
{
    return strstr(s->file, "shares") || strstr(s->file, "weight");
}

static void layout(int v2)
{
    struct mcg_run *run = mcg_run_new(&(struct mcg_run_opts){ 0 });
    int written = 0, refused = 0;

    run->pos.discovered = 1;
    run->pos.layout = v2 ? MCG_LAYOUT_UNIFIED : MCG_LAYOUT_V1;
    CHECK(mcg_is_v2(run) == v2, "the run's layout is the model's");
    for (size_t i = 0; i < mcg_nsettings; i++) {
        const struct mcg_setting *s = &mcg_settings[i];
        struct mcg_error err = { 0 };
        const char *name = v2 ? "v2" : "v1";

        if (mcg_setting_usable(run, s, 1, &err) < 0) {
            /* one line, naming the setting's file */
            CHECK(err.msg[0] && strstr(err.msg, s->file) && !strchr(err.msg, '\n'),
                  "%s %s: refusal '%s'", name, s->file, err.msg);
            refused++;
            continue;
        }
        if (!(s->access & MCG_WRITE))
            continue;
        int ok;
        const char *value = sample(s);
        char *text = write_and_look(run, s, value, v2, &ok);
        char *back = NULL;
        if (ok) {
            CHECK(!file_of(s, v2) || strcmp(text, default_text(file_of(s, v2), v2)) != 0 ||
                      strcmp(value, "0") == 0,
                  "%s %s = %s: the file still holds its default '%s'", name, s->file, value, text);
            CHECK(mcg_read_setting(run, group, s, &back, &err) == 0, "%s %s: read back: %s", name,
                  s->file, err.msg);
        }
        if (ok && back) {
            if (!rounds(s)) {
                CHECK(strcmp(back, value) == 0, "%s %s: wrote %s, read back '%s' (file '%s')",
                      name, s->file, value, back, text);
            } else {
                int ok2;
                char *again = write_and_look(run, s, back, v2, &ok2);
                CHECK(ok2 && strcmp(again, text) == 0,
                      "%s %s: %s read back as %s, which writes '%s', not '%s'", name, s->file,
                      value, back, again, text);
                free(again);
            }
            written++;
        }
        free(back);
        free(text);
    }
    /* every row is either written and read back, refused in one line, or
     * read-only: none is skipped unnoticed */
    size_t writable = 0;
    for (size_t i = 0; i < mcg_nsettings; i++)
        writable += (mcg_settings[i].access & MCG_WRITE) != 0;
    CHECK(written > 0 && written + refused >= (int)writable,
          "%s: %d written, %d refused, of %zu writable rows", v2 ? "v2" : "v1", written, refused,
          writable);
    printf("%s: %d settings written and read back, %d refused in one line\n", v2 ? "v2" : "v1",
           written, refused);
    mcg_run_free(run);
}

int main(void)
{
    snprintf(group, sizeof(group), "%s/mcgexec-settings-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(group)) {
        perror("mkdtemp");
        return 1;
    }
    layout(0);
    layout(1);
    char cmd[320];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", group);
    CHECK(system(cmd) == 0, "%s", cmd);
    printf("%d checks, %d failed\n", checks, failures);
    return failures != 0;
}
