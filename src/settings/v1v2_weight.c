/* The I/O weight (Cgroup::BLKIO#weight, #weight_device): one setting, four
 * files, whichever the kernel's I/O scheduler or controller gives a group:
 * blkio.weight (CFQ) or blkio.bfq.weight (BFQ) on v1, io.bfq.weight or
 * io.weight (blk-iocost, another scale, mapped as runc and crun do) on v2.
 * The mappings for the table (v1v2.h). */
#define _GNU_SOURCE
#include "settings/v1v2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/values.h"

/* The first of files a and b that group dir has; NULL where neither.  A
 * dry run's planned group is not there to ask: its nearest existing
 * ancestor is, and failing that a (the name shown in the plan). */
static const char *weight_file(struct mcg_run *run, const char *dir, const char *a,
                               const char *b)
{
    char path[MCG_FILE_PATH + 64], up[MCG_FILE_PATH];

    snprintf(up, sizeof(up), "%s", dir);
    while (mcg_dry_run(run) && access(up, F_OK) != 0 && strrchr(up, '/'))
        *strrchr(up, '/') = '\0';
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", up, i ? b : a);
        if (access(path, F_OK) == 0)
            return i ? b : a;
    }
    return mcg_dry_run(run) ? b : NULL;
}

static int no_weight_file(const struct mcg_setting *s, const char *a, const char *b,
                          struct mcg_error *err)
{
    mcg_fail(err, "%s: this kernel has neither %s nor %s (an I/O scheduler or controller with "
                  "weights gives one)", s->file, a, b);
    err->about_host = 1;
    return -1;
}

/* A per-device weight the kernel refused: say what the device lacks. */
static int device_weight_write(struct mcg_run *run, const char *dir, const char *file,
                               const char *value, struct mcg_error *err)
{
    if (mcg_write(run, dir, file, value, err) == 0)
        return 0;
    const char *needs = strstr(file, "bfq") ? "the device to use the BFQ I/O scheduler"
                        : strcmp(file, "io.weight") == 0
                            ? "blk-iocost enabled for the device (io.cost.qos)"
                            : NULL;
    if (needs && (err->errnum == EINVAL || err->errnum == EOPNOTSUPP)) {
        char was[sizeof(err->msg)];
        int e = err->errnum;
        snprintf(was, sizeof(was), "%s", err->msg);
        mcg_fail(err, "%s (a weight for one device needs %s)", was, needs);
        err->errnum = e;
    }
    return -1;
}

/* v1: blkio.weight (CFQ) or blkio.bfq.weight (BFQ), the same scale */
static int write_weight_v1(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                           const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    const char *plain = e->setting->file, *bfq = "blkio.bfq.weight";
    const char *f = weight_file(run, dir, plain, bfq);

    (void)st, (void)n;
    if (!f)
        return no_weight_file(e->setting, plain, bfq, err);
    return mcg_write(run, dir, f, e->value, err);
}

/* "MAJ:MIN W" lines of weight_device, "default W" among them: the device
 * lines, W mapped with `conv` (io.weight's scale back to blkio's) */
static char *device_weights(const char *text, uint64_t (*conv)(uint64_t))
{
    size_t cap = strlen(text) + 1, len = 0;
    char *out = calloc(1, cap + 64);

    if (!out)
        abort();
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        char dev[64];
        unsigned long long w;
        if (sscanf(p, "%63s %llu", dev, &w) != 2 || strcmp(dev, "default") == 0)
            continue;
        len += (size_t)snprintf(out + len, cap + 64 - len, "%s%s %llu", len ? "\n" : "", dev,
                                (unsigned long long)(conv ? conv(w) : w));
    }
    return out;
}

static uint64_t same_weight(uint64_t w)
{
    return w;
}

/* "500" or "default 500": the number */
static int read_default_weight(struct mcg_run *run, const char *dir, const char *file,
                               uint64_t (*conv)(uint64_t), char **text, struct mcg_error *err)
{
    char *raw;
    int64_t v;

    if (mcg_read(run, dir, file, &raw, err) < 0)
        return -1;
    if (mcg_keyed_value(raw, "default", &v) < 0)
        v = strtoll(raw, NULL, 10);
    free(raw);
    return mcg_give_int(text, (int64_t)conv((uint64_t)v));
}

static int read_weight_v1(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                          char **text, struct mcg_error *err)
{
    const char *f = weight_file(run, dir, s->file, "blkio.bfq.weight");
    if (!f)
        return no_weight_file(s, s->file, "blkio.bfq.weight", err);
    return read_default_weight(run, dir, f, same_weight, text, err);
}

/* v2: io.bfq.weight keeps blkio's scale; io.weight's 1..10000 is mapped
 * as runc and crun do */
static int write_io_weight(struct mcg_run *run, const char *dir, const struct mcg_staged *e,
                           const struct mcg_staged *st, size_t n, struct mcg_error *err)
{
    const char *f = weight_file(run, dir, "io.bfq.weight", "io.weight");
    int64_t w;
    const char *why;
    char buf[32];

    (void)st, (void)n;
    if (!f)
        return no_weight_file(e->setting, "io.bfq.weight", "io.weight", err);
    if (strcmp(f, "io.weight") != 0)
        return mcg_write(run, dir, f, e->value, err);
    if (mcg_parse_int(e->value, &w, &why) < 0 || w <= 0)
        return mcg_fail(err, "%s must be a positive integer", e->setting->file);
    snprintf(buf, sizeof(buf), "default %" PRIu64, mcg_blkio_to_io_weight((uint64_t)w));
    return mcg_write(run, dir, f, buf, err);
}

static int read_io_weight(struct mcg_run *run, const char *dir, const struct mcg_setting *s,
                          char **text, struct mcg_error *err)
{
    const char *f = weight_file(run, dir, "io.bfq.weight", "io.weight");
    if (!f)
        return no_weight_file(s, "io.bfq.weight", "io.weight", err);
    return read_default_weight(run, dir, f,
                               strcmp(f, "io.weight") == 0 ? mcg_io_to_blkio_weight : same_weight,
                               text, err);
}

/* weight_device: v1 blkio.weight_device, or BFQ's per-device lines in
 * blkio.bfq.weight */
static int write_weight_device_v1(struct mcg_run *run, const char *dir,
                                  const struct mcg_staged *e, const struct mcg_staged *st,
                                  size_t n, struct mcg_error *err)
{
    const char *f = weight_file(run, dir, e->setting->file, "blkio.bfq.weight");

    (void)st, (void)n;
    if (!f)
        return no_weight_file(e->setting, e->setting->file, "blkio.bfq.weight", err);
    return device_weight_write(run, dir, f, e->value, err);
}

static int read_weight_device_v1(struct mcg_run *run, const char *dir,
                                 const struct mcg_setting *s, char **text,
                                 struct mcg_error *err)
{
    const char *f = weight_file(run, dir, s->file, "blkio.bfq.weight");
    char *raw;

    if (!f)
        return no_weight_file(s, s->file, "blkio.bfq.weight", err);
    if (mcg_read(run, dir, f, &raw, err) < 0)
        return -1;
    *text = device_weights(raw, NULL);
    free(raw);
    return 0;
}

static int write_io_weight_device(struct mcg_run *run, const char *dir,
                                  const struct mcg_staged *e, const struct mcg_staged *st,
                                  size_t n, struct mcg_error *err)
{
    const char *f = weight_file(run, dir, "io.bfq.weight", "io.weight");
    char dev[64], buf[128];
    unsigned long long w;

    (void)st, (void)n;
    if (!f)
        return no_weight_file(e->setting, "io.bfq.weight", "io.weight", err);
    if (sscanf(e->value, "%63s %llu", dev, &w) != 2)
        return mcg_fail(err, "bad device value");
    if (strcmp(f, "io.weight") == 0)
        w = w ? mcg_blkio_to_io_weight(w) : 0;
    /* 0 removes the device's own weight: io.weight takes "default" there */
    if (w == 0 && strcmp(f, "io.weight") == 0)
        snprintf(buf, sizeof(buf), "%s default", dev);
    else
        snprintf(buf, sizeof(buf), "%s %llu", dev, w);
    return device_weight_write(run, dir, f, buf, err);
}

static int read_io_weight_device(struct mcg_run *run, const char *dir,
                                 const struct mcg_setting *s, char **text,
                                 struct mcg_error *err)
{
    const char *f = weight_file(run, dir, "io.bfq.weight", "io.weight");
    char *raw;

    if (!f)
        return no_weight_file(s, "io.bfq.weight", "io.weight", err);
    if (mcg_read(run, dir, f, &raw, err) < 0)
        return -1;
    *text = device_weights(raw, strcmp(f, "io.weight") == 0 ? mcg_io_to_blkio_weight : NULL);
    free(raw);
    return 0;
}

const struct mcg_mapping mcg_v2_blkio_weight = {
    .describe = "io.bfq.weight or io.weight (mapped)",
    .write = write_io_weight, .read = read_io_weight,
    .write_v1 = write_weight_v1, .read_v1 = read_weight_v1,
};
const struct mcg_mapping mcg_v2_blkio_weight_device = {
    .describe = "io.bfq.weight or io.weight (per device)",
    .write = write_io_weight_device, .read = read_io_weight_device,
    .write_v1 = write_weight_device_v1, .read_v1 = read_weight_device_v1,
};
