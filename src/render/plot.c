/* The record as a picture (plot.h says what it shows).  Every bucket of a
 * series is drawn as a step over the time it covers, so that nothing is
 * drawn where the record has no reading; a limit far above what the job
 * used is named in the legend rather than drawn, which would flatten the
 * job into the axis. */
#define _GNU_SOURCE
#include "render/plot.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WIDTH 960
#define LEFT 80
#define RIGHT 24
#define TOP 70
#define PANEL_H 120
#define PANEL_GAP 58
#define PLOT_W (WIDTH - LEFT - RIGHT)
#define FONT "font-family=\"sans-serif\""

enum unit { U_CORES, U_BYTES, U_RATE, U_PERCENT, U_COUNT };

/* How a series' value becomes what is drawn. */
enum per { AS_IS, PER_SECOND, PERCENT_OF_TIME };

struct line {
    const char *key, *label, *color;
    enum per per;
    int dashed;
};

struct limit {
    const char *key, *label, *color;
};

struct panel {
    const char *title;
    enum unit unit;
    struct line lines[3];
    struct limit limits[2];
    int mark_peak;
    const char *band;       /* a counter whose buckets above 0 are marked
                               along the panel's foot (throttling) */
};

static const struct panel panels[] = {
    { "CPU", U_CORES, { { "cpu_cores", "used", "#1f77b4", AS_IS, 0 } },
      { { "cpu_quota_cores", "quota", "#d62728" } }, 0, "cpu_throttled_periods" },
    { "Memory", U_BYTES,
      { { "memory_bytes", "memory", "#2ca02c", AS_IS, 0 },
        { "memory_anon_bytes", "anonymous", "#17becf", AS_IS, 1 },
        { "memory_file_bytes", "page cache", "#bcbd22", AS_IS, 1 } },
      { { "memory_max_bytes", "limit", "#d62728" }, { "memory_high_bytes", "high", "#ff7f0e" } }, 1, NULL },
    { "I/O", U_RATE,
      { { "io_read_bytes", "read", "#9467bd", PER_SECOND, 0 },
        { "io_write_bytes", "written", "#8c564b", PER_SECOND, 0 } },
      { { NULL } }, 0, NULL },
    { "Stalled (pressure, some)", U_PERCENT,
      { { "cpu_some_s", "cpu", "#1f77b4", PERCENT_OF_TIME, 0 },
        { "memory_some_s", "memory", "#2ca02c", PERCENT_OF_TIME, 0 },
        { "io_some_s", "io", "#9467bd", PERCENT_OF_TIME, 0 } },
      { { NULL } }, 0, NULL },
    { "Tasks", U_COUNT, { { "pids", "tasks", "#7f7f7f", AS_IS, 0 } },
      { { "pids_max", "limit", "#d62728" } }, 0, NULL },
};
#define NPANELS (sizeof(panels) / sizeof(panels[0]))

struct plot {
    FILE *out;
    const json_t *rec, *series, *t;
    size_t n;
    double t_end;
    int y;                  /* the next panel's top */
};

/* ---- text ---------------------------------------------------------------- */

static void put_escaped(FILE *out, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            /* (control characters are not allowed in XML 1.0) */
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
        }
}

/* A number as the axis shows it: no trailing zeros. */
static void fmt_num(char *buf, size_t len, double v)
{
    snprintf(buf, len, "%.2f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
}

/* v in `unit`, scaled by `scale` (a power of 1024 for bytes), with the
 * scale's name. */
static void fmt_value(char *buf, size_t len, double v, enum unit unit, double scale,
                      const char *suffix)
{
    char num[32];
    fmt_num(num, sizeof(num), v / scale);
    switch (unit) {
    case U_PERCENT: snprintf(buf, len, "%s%%", num); break;
    case U_CORES:
    case U_COUNT: snprintf(buf, len, "%s", num); break;
    default: snprintf(buf, len, "%s %s", num, suffix); break;
    }
}

/* ---- scales -------------------------------------------------------------- */

/* A round step for an axis up to `max`: 1, 2, 2.5 or 5 times a power of
 * ten, giving three to six ticks. */
static double nice_step(double max)
{
    static const double m[] = { 1, 2, 2.5, 5, 10 };
    double p = pow(10, floor(log10(max / 4)));
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (max / (m[i] * p) <= 6)
            return m[i] * p;
    return 10 * p;
}

/* For bytes: the power of 1024 that keeps the axis below 1024 of it. */
static double byte_scale(double max, enum unit unit, const char **name)
{
    static const char *const bytes[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    static const char *const rates[] = { "B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s" };
    double s = 1;
    int k = 0;
    while (max / s >= 1024 && k < 4) {
        s *= 1024;
        k++;
    }
    *name = unit == U_RATE ? rates[k] : bytes[k];
    return s;
}

/* The time axis: seconds, minutes or hours. */
static double time_scale(double t_end, const char **name)
{
    if (t_end >= 2 * 3600) {
        *name = "h";
        return 3600;
    }
    if (t_end >= 120) {
        *name = "min";
        return 60;
    }
    *name = "s";
    return 1;
}

/* ---- the record ---------------------------------------------------------- */

static double num(const json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Bucket i of series `s`, drawn as `per` says. */
static double value(const struct plot *p, const json_t *s, size_t i, enum per per)
{
    double v = num(json_array_get(s, i));
    double t0 = i ? num(json_array_get(p->t, i - 1)) : 0, t1 = num(json_array_get(p->t, i));
    if (per == AS_IS || isnan(v))
        return v;
    if (!(t1 > t0))
        return NAN;
    return per == PER_SECOND ? v / (t1 - t0) : 100 * v / (t1 - t0);
}

static double xof(const struct plot *p, double t)
{
    return LEFT + PLOT_W * (p->t_end > 0 ? t / p->t_end : 0);
}

/* ---- a panel ------------------------------------------------------------- */

static void draw_panel(struct plot *p, const struct panel *pn)
{
    const json_t *lim = json_object_get(p->rec, "limits");
    double max = 0, peak = -1, peak_t = 0;
    int any = 0;

    for (size_t l = 0; l < 3 && pn->lines[l].key; l++) {
        const json_t *s = json_object_get(p->series, pn->lines[l].key);
        for (size_t i = 0; json_is_array(s) && i < p->n; i++) {
            double v = value(p, s, i, pn->lines[l].per);
            if (isnan(v))
                continue;
            any = 1;
            if (v > max)
                max = v;
            if (l == 0 && pn->mark_peak && v > peak) {
                peak = v;
                peak_t = num(json_array_get(p->t, i));
            }
        }
    }
    if (!any)
        return; /* (the layout or the policy gives no such figure) */
    /* limits near what was used are drawn; those far above are named */
    double data_max = max;
    for (size_t k = 0; k < 2 && pn->limits[k].key; k++) {
        double v = num(json_object_get(lim, pn->limits[k].key));
        if (!isnan(v) && v <= 2 * (data_max > 0 ? data_max : 1) && v > max)
            max = v;
    }
    if (pn->unit == U_PERCENT && max < 1)
        max = 1;
    if (pn->unit == U_CORES && max < 0.1)
        max = 0.1;
    if (max <= 0)
        max = 1;
    const char *uname = "";
    double scale = pn->unit == U_BYTES || pn->unit == U_RATE ? byte_scale(max, pn->unit, &uname) : 1;
    double step = nice_step(max / scale) * scale, top = ceil(max * 1.05 / step) * step;
    int y0 = p->y, y1 = p->y + PANEL_H;
#define YOF(v) (y1 - (double)PANEL_H * (v) / top)

    fprintf(p->out, "<g class=\"panel\" data-name=\"%s\">\n", pn->title);
    fprintf(p->out, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\" %s>%s</text>\n",
            LEFT, y0 - 10, FONT, pn->title);
    fprintf(p->out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
                    "stroke=\"#cccccc\"/>\n", LEFT, y0, PLOT_W, PANEL_H);
    for (double v = 0; v <= top + step / 2; v += step) {
        char label[48];
        fmt_value(label, sizeof(label), v, pn->unit, scale, uname);
        fprintf(p->out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
                        "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" %s "
                        "data-value=\"%.6g\">%s</text>\n",
                LEFT, LEFT + PLOT_W, YOF(v), YOF(v), LEFT - 6, YOF(v) + 4, FONT, v, label);
    }
    /* the series, as steps over their buckets */
    int legend_x = LEFT + 40 + 8 * (int)strlen(pn->title); /* (after the title) */
    for (size_t l = 0; l < 3 && pn->lines[l].key; l++) {
        const struct line *ln = &pn->lines[l];
        const json_t *s = json_object_get(p->series, ln->key);
        if (!json_is_array(s))
            continue;
        fprintf(p->out, "<path data-series=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s "
                        "d=\"", ln->key, ln->color, l == 0 ? "1.8" : "1.2",
                ln->dashed ? " stroke-dasharray=\"4 3\"" : "");
        int pen = 0;
        for (size_t i = 0; i < p->n; i++) {
            double v = value(p, s, i, ln->per);
            double x0 = xof(p, i ? num(json_array_get(p->t, i - 1)) : 0);
            double x1 = xof(p, num(json_array_get(p->t, i)));
            if (isnan(v)) {
                pen = 0;
                continue;
            }
            if (!pen)
                fprintf(p->out, "M%.1f %.1f", x0, YOF(v));
            else
                fprintf(p->out, "V%.1f", YOF(v));
            fprintf(p->out, "H%.1f", x1);
            pen = 1;
        }
        fputs("\"/>\n", p->out);
        fprintf(p->out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"3\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"%d\" font-size=\"11\" %s>%s</text>\n",
                legend_x, y0 - 17, ln->color, legend_x + 18, y0 - 12, FONT, ln->label);
        legend_x += 30 + 7 * (int)strlen(ln->label);
    }
    /* the limits: drawn where near, else named */
    for (size_t k = 0; k < 2 && pn->limits[k].key; k++) {
        const struct limit *lm = &pn->limits[k];
        double v = num(json_object_get(lim, lm->key));
        char label[64];
        if (isnan(v))
            continue;
        fmt_value(label, sizeof(label), v, pn->unit, scale, uname);
        if (v <= top) {
            fprintf(p->out, "<line data-limit=\"%s\" data-value=\"%.6g\" x1=\"%d\" x2=\"%d\" "
                            "y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"6 4\"/>"
                            "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" "
                            "fill=\"%s\" %s>%s %s</text>\n",
                    lm->key, v, LEFT, LEFT + PLOT_W, YOF(v), YOF(v), lm->color, LEFT + 4,
                    YOF(v) - 4, lm->color, FONT, lm->label, label);
        } else {
            fprintf(p->out, "<text data-limit=\"%s\" data-value=\"%.6g\" x=\"%d\" y=\"%d\" "
                            "font-size=\"11\" fill=\"%s\" %s>%s %s (above the scale)</text>\n",
                    lm->key, v, legend_x, y0 - 12, lm->color, FONT, lm->label, label);
            legend_x += 150;
        }
    }
    /* where the quota throttled the job: a band along the foot */
    const json_t *band = pn->band ? json_object_get(p->series, pn->band) : NULL;
    int banded = 0;
    for (size_t i = 0; json_is_array(band) && i < p->n; i++) {
        if (!(num(json_array_get(band, i)) > 0))
            continue;
        double x0 = xof(p, i ? num(json_array_get(p->t, i - 1)) : 0);
        double x1 = xof(p, num(json_array_get(p->t, i)));
        fprintf(p->out, "<rect class=\"throttled\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
                        "height=\"5\" fill=\"#d62728\" fill-opacity=\"0.55\"/>\n",
                x0, y1 - 5, x1 - x0 > 0.5 ? x1 - x0 : 0.5);
        banded = 1;
    }
    if (banded) {
        fprintf(p->out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"5\" fill=\"#d62728\" "
                        "fill-opacity=\"0.55\"/><text x=\"%d\" y=\"%d\" font-size=\"11\" %s>"
                        "throttled</text>\n",
                legend_x, y0 - 18, legend_x + 18, y0 - 12, FONT);
        legend_x += 90;
    }
    if (pn->mark_peak && peak > 0) {
        char label[48];
        fmt_value(label, sizeof(label), peak, pn->unit, scale, uname);
        double x = xof(p, peak_t);
        fprintf(p->out, "<circle data-peak=\"%.6g\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#2ca02c\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"%s\" %s>peak "
                        "%s</text>\n",
                peak, x, YOF(peak), x + (x > LEFT + PLOT_W - 120 ? -6 : 6), YOF(peak) + 14,
                x > LEFT + PLOT_W - 120 ? "end" : "start", FONT, label);
    }
    fputs("</g>\n", p->out);
    p->y += PANEL_H + PANEL_GAP;
#undef YOF
}

/* ---- the frame: title, time axis, events --------------------------------- */

static void draw_title(struct plot *p)
{
    const json_t *cmd = json_object_get(p->rec, "command"), *v;
    size_t i;
    char end[96];
    double wall = num(json_object_get(p->rec, "wall_time_s"));
    const json_t *sig = json_object_get(p->rec, "signal"), *code = json_object_get(p->rec, "exit_code");

    if (json_is_true(json_object_get(p->rec, "timed_out")))
        snprintf(end, sizeof(end), "timed out (status %lld)",
                 (long long)json_integer_value(json_object_get(p->rec, "status")));
    else if (json_is_true(json_object_get(p->rec, "oom_killed")))
        snprintf(end, sizeof(end), "killed by the OOM killer");
    else if (json_is_integer(sig))
        snprintf(end, sizeof(end), "killed by signal %lld", (long long)json_integer_value(sig));
    else if (json_is_integer(code))
        snprintf(end, sizeof(end), "exit %lld", (long long)json_integer_value(code));
    else
        snprintf(end, sizeof(end), "did not run (status %lld)",
                 (long long)json_integer_value(json_object_get(p->rec, "status")));
    fprintf(p->out, "<text x=\"%d\" y=\"28\" font-size=\"17\" font-weight=\"bold\" %s>", LEFT, FONT);
    size_t shown = 0;
    json_array_foreach(cmd, i, v) {
        const char *a = json_string_value(v);
        if (!a || shown > 90)
            break;
        if (i)
            fputc(' ', p->out);
        put_escaped(p->out, a);
        shown += strlen(a) + 1;
    }
    if (shown > 90)
        fputs(" \xe2\x80\xa6", p->out); /* (an ellipsis: the rest is in the record) */
    fprintf(p->out, "</text>\n<text x=\"%d\" y=\"50\" font-size=\"13\" %s>", LEFT, FONT);
    char wall_s[32];
    fmt_num(wall_s, sizeof(wall_s), wall);
    fprintf(p->out, "%s after %s s \xc2\xb7 cgroup v%lld, %s \xc2\xb7 started ", end, wall_s,
            (long long)json_integer_value(json_object_get(p->rec, "cgroup_version")),
            json_string_value(json_object_get(p->rec, "manager")) ?: "?");
    put_escaped(p->out, json_string_value(json_object_get(p->rec, "start")) ?: "?");
    fputs("</text>\n", p->out);
}

static void draw_time_axis(struct plot *p, int top, int bottom)
{
    const char *name;
    double scale = time_scale(p->t_end, &name), step = nice_step(p->t_end / scale) * scale;

    for (double t = 0; t <= p->t_end + step / 1000; t += step) {
        char label[32];
        fmt_num(label, sizeof(label), t / scale);
        fprintf(p->out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#e3e3e3\"/>"
                        "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" %s>%s %s"
                        "</text>\n",
                xof(p, t), xof(p, t), top, bottom, xof(p, t), bottom + 16, FONT, label, name);
    }
}

static void draw_events(struct plot *p, int top, int bottom)
{
    const json_t *events = json_object_get(p->rec, "events"), *e;
    size_t i;

    json_array_foreach(events, i, e) {
        const char *kind = json_string_value(json_object_get(e, "kind")) ?: "";
        const char *detail = json_string_value(json_object_get(e, "detail"));
        const char *color = NULL, *label = kind;
        if (strcmp(kind, "oom_kill") == 0)
            color = "#d62728", label = "OOM kill";
        else if (strcmp(kind, "timeout") == 0 || strcmp(kind, "cancel") == 0)
            color = "#ff7f0e";
        else if (strcmp(kind, "kill") == 0)
            color = "#8b0000";
        else if (strcmp(kind, "memory_high") == 0 || strcmp(kind, "memory_max") == 0)
            color = "#9467bd", label = strcmp(kind, "memory_high") == 0 ? "high" : "max";
        if (!color)
            continue; /* (the exit is the axis' end) */
        double x = xof(p, num(json_object_get(e, "t_s")));
        fprintf(p->out, "<g class=\"event\" data-kind=\"%s\" data-t=\"%.4f\"><line x1=\"%.1f\" "
                        "x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\"/>"
                        "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"%s\" %s>",
                kind, num(json_object_get(e, "t_s")), x, x, top - 4, bottom, color, x + 3,
                top + 8, color, FONT);
        put_escaped(p->out, label);
        if (detail && *detail) {
            fputc(' ', p->out);
            put_escaped(p->out, detail);
        }
        fputs("</text></g>\n", p->out);
    }
}

/* ---- the picture --------------------------------------------------------- */

int mcg_plot(const json_t *rec, FILE *out, struct mcg_error *err)
{
    struct plot p = { .out = out, .rec = rec, .y = TOP + 30 };
    const char *format = json_string_value(json_object_get(rec, "format"));

    if (!format || strcmp(format, "mcgexec-record") != 0)
        return mcg_fail(err, "not an mcgexec record (its \"format\" is not \"mcgexec-record\")");
    if (json_integer_value(json_object_get(rec, "version")) != 1)
        return mcg_fail(err, "a record of version %lld, and this mcgexec draws version 1",
                        (long long)json_integer_value(json_object_get(rec, "version")));
    p.series = json_object_get(rec, "series");
    p.t = json_object_get(p.series, "t_s");
    p.n = json_array_size(p.t);
    const char *key;
    const json_t *s;
    json_object_foreach((json_t *)p.series, key, s)
        if (!json_is_null(s) && json_array_size(s) != p.n)
            return mcg_fail(err, "the record's series %s has %zu values for %zu times", key,
                            json_array_size(s), p.n);
    p.t_end = num(json_object_get(rec, "wall_time_s"));
    if (p.n && num(json_array_get(p.t, p.n - 1)) > p.t_end)
        p.t_end = num(json_array_get(p.t, p.n - 1));
    if (!(p.t_end > 0))
        p.t_end = 1;

    /* the height: the panels that have data */
    size_t shown = 0;
    for (size_t k = 0; k < NPANELS; k++)
        for (size_t l = 0; l < 3 && panels[k].lines[l].key; l++)
            if (json_is_array(json_object_get(p.series, panels[k].lines[l].key))) {
                shown++;
                break;
            }
    int height = p.y + (int)shown * (PANEL_H + PANEL_GAP) + 10;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\">\n"
                 "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
            WIDTH, height, WIDTH, height);
    draw_title(&p);
    int first = p.y;
    for (size_t k = 0; k < NPANELS; k++) {
        int y = p.y;
        draw_panel(&p, &panels[k]);
        if (p.y != y)
            draw_time_axis(&p, y, y + PANEL_H);
    }
    draw_events(&p, first, p.y - PANEL_GAP);
    fputs("</svg>\n", out);
    return ferror(out) ? mcg_fail_errno(err, EIO, "cannot write the picture") : 0;
}

int mcg_plot_file(const char *record_path, const char *svg_path, struct mcg_error *err)
{
    json_error_t jerr;
    json_t *rec = json_load_file(record_path, 0, &jerr);

    if (!rec)
        return mcg_fail(err, "%s:%d: not a record: %s", record_path, jerr.line, jerr.text);
    FILE *out = fopen(svg_path, "w");
    if (!out) {
        json_decref(rec);
        return mcg_fail_errno(err, errno, "cannot write the picture to %s", svg_path);
    }
    int r = mcg_plot(rec, out, err);
    if (fclose(out) != 0 && r == 0)
        r = mcg_fail_errno(err, errno, "cannot write the picture to %s", svg_path);
    if (r < 0)
        unlink(svg_path); /* (no half picture) */
    if (r < 0 && err->msg[0] && !strstr(err->msg, record_path)) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s: %s", record_path, err->msg);
        snprintf(err->msg, sizeof(err->msg), "%s", msg);
    }
    json_decref(rec);
    return r;
}
