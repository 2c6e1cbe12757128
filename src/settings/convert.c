/* Values between Ruby and the kernel's control files: what a policy
 * writes (Integer, String with units, :max, true, [dev, rate]) checked and
 * turned into the text a v1 file takes, and a file's text back into a Ruby
 * value.  The parsers themselves are in values.c. */
#define _GNU_SOURCE
#include "settings/convert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mruby.h>
#include <mruby/array.h>
#include <mruby/hash.h>
#include <mruby/string.h>

#include "base/values.h"

/* A Ruby String as a C string, or NULL when it holds a NUL byte. */
const char *mcg_cstr_of(mrb_state *mrb, mrb_value v)
{
    const char *p = RSTRING_PTR(v);
    if (memchr(p, '\0', (size_t)RSTRING_LEN(v)))
        return NULL;
    return RSTRING_CSTR(mrb, v);
}

int mcg_is_max(mrb_state *mrb, mrb_value v)
{
    return mrb_symbol_p(v) && strcmp(mrb_sym_name(mrb, mrb_symbol(v)), "max") == 0;
}

static mrb_value int_text(mrb_state *mrb, int64_t n)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)n);
    return mrb_str_new_cstr(mrb, buf);
}

/* Each kind of value: the policy's value `v` (`s` its C string when it is
 * a String) to the text written to the kernel, or -1 with *why. */
typedef int to_kernel_fn(mrb_state *mrb, enum mcg_kind kind, mrb_value v, const char *s,
                         mrb_value *out, const char **why);

/* INT, and QUOTA: -1, :max or "max" for no limit */
static int int_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, const char *s,
                         mrb_value *out, const char **why)
{
    int64_t n;

    if (kind == MCG_K_QUOTA && (mcg_is_max(mrb, v) || (s && strcmp(s, "max") == 0))) {
        *out = mrb_str_new_lit(mrb, "-1");
        return 0;
    }
    if (mrb_integer_p(v)) {
        n = mrb_integer(v);
    } else if (!s || mcg_parse_int(s, &n, why) < 0) {
        *why = "not an integer";
        return -1;
    }
    /* v1 takes any negative quota as "no limit"; only -1 says so */
    if (kind == MCG_K_QUOTA && n < -1) {
        *why = "negative quota (use -1 or :max for no limit)";
        return -1;
    }
    *out = int_text(mrb, n);
    return 0;
}

/* SIZE (units allowed) and COUNT: -1 or :max for no limit, written -1 and
 * "max" */
static int limit_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, const char *s,
                           mrb_value *out, const char **why)
{
    int64_t n;
    int size = kind == MCG_K_SIZE;

    if (mcg_is_max(mrb, v)) {
        n = -1;
    } else if (mrb_integer_p(v)) {
        n = mrb_integer(v);
        if (n < -1) {
            *why = size ? "negative size (use -1 or :max for no limit)"
                        : "negative count (use -1 or :max for no limit)";
            return -1;
        }
    } else if (s && size) {
        if (mcg_parse_size(s, &n, why) < 0)
            return -1;
    } else if (s) {
        if (strcmp(s, "max") == 0)
            n = -1;
        else if (mcg_parse_int(s, &n, why) < 0 || n < -1) {
            *why = "not a count (use a number, or -1 or :max for no limit)";
            return -1;
        }
    } else {
        *why = size ? "not a size (use an Integer, a String such as \"512M\", or :max)"
                    : "not a count (use an Integer, or :max for no limit)";
        return -1;
    }
    if (!size && n == -1)
        *out = mrb_str_new_lit(mrb, "max");
    else
        *out = int_text(mrb, n);
    return 0;
}

static int cpulist_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, const char *s,
                             mrb_value *out, const char **why)
{
    (void)mrb, (void)kind;
    if (mrb_integer_p(v) && mrb_integer(v) >= 0) {
        *out = int_text(mrb, mrb_integer(v));
        return 0;
    }
    if (!s) {
        *why = "not a list (use a String such as \"0-3,5\")";
        return -1;
    }
    if (mcg_check_cpulist(s, why) < 0)
        return -1;
    *out = mrb_str_new_cstr(mrb, s);
    return 0;
}

/* [device, rate] as "device rate", or NULL with *why. */
static const char *join_device_pair(mrb_state *mrb, mrb_value v, const char **why)
{
    mrb_value rate = RARRAY_PTR(v)[1];
    const char *d = mcg_cstr_of(mrb, RARRAY_PTR(v)[0]);

    if (!d) {
        *why = "contains a NUL byte";
        return NULL;
    }
    if (mrb_integer_p(rate))
        return RSTRING_CSTR(mrb, mrb_format(mrb, "%s %i", d, mrb_integer(rate)));
    if (mrb_string_p(rate) && mcg_cstr_of(mrb, rate))
        return RSTRING_CSTR(mrb, mrb_format(mrb, "%s %s", d, RSTRING_CSTR(mrb, rate)));
    *why = "the rate is not a number";
    return NULL;
}

/* DEVRATE and DEVBPS (the rate with units): "MAJ:MIN N" */
static int device_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, const char *s,
                            mrb_value *out, const char **why)
{
    char dev[64];
    const char *rest;
    int64_t n;

    if (mrb_array_p(v) && RARRAY_LEN(v) == 2 && mrb_string_p(RARRAY_PTR(v)[0])) {
        if (!(s = join_device_pair(mrb, v, why)))
            return -1;
    }
    if (!s) {
        *why = "expected \"MAJ:MIN VALUE\", \"/dev/DEVICE VALUE\" or [device, value]";
        return -1;
    }
    if (mcg_parse_device(s, dev, sizeof(dev), &rest, why) < 0)
        return -1;
    if (kind == MCG_K_DEVBPS ? mcg_parse_size(rest, &n, why) < 0
                             : mcg_parse_int(rest, &n, why) < 0)
        return -1;
    if (n < 0) {
        *why = "negative rate (use 0 to remove the limit)";
        return -1;
    }
    *out = mrb_format(mrb, "%s %i", dev, (mrb_int)n);
    return 0;
}

static int bool_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, const char *s,
                          mrb_value *out, const char **why)
{
    (void)mrb, (void)kind, (void)s;
    if (mrb_true_p(v) || (mrb_integer_p(v) && mrb_integer(v) == 1))
        *out = mrb_str_new_lit(mrb, "1");
    else if (mrb_false_p(v) || (mrb_integer_p(v) && mrb_integer(v) == 0))
        *out = mrb_str_new_lit(mrb, "0");
    else {
        *why = "not a boolean (use true or false)";
        return -1;
    }
    return 0;
}

static int text_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, const char *s,
                          mrb_value *out, const char **why)
{
    (void)kind;
    if (mrb_integer_p(v))
        *out = int_text(mrb, mrb_integer(v));
    else if (mcg_is_max(mrb, v))
        *out = mrb_str_new_lit(mrb, "max");
    else if (mrb_true_p(v) || mrb_false_p(v))
        *out = mrb_str_new_cstr(mrb, mrb_true_p(v) ? "1" : "0");
    else if (s)
        *out = mrb_str_new_cstr(mrb, s);
    else {
        *why = "not a String or Integer";
        return -1;
    }
    return 0;
}

/* USEC: an Integer is microseconds, as the file takes them; so is a
 * String of digits; any other String is a duration with its unit. */
static int usec_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, const char *s,
                          mrb_value *out, const char **why)
{
    int64_t n;
    double sec;

    (void)kind;
    if (mrb_integer_p(v)) {
        n = mrb_integer(v);
    } else if (s && mcg_parse_int(s, &n, why) == 0) {
        /* microseconds */
    } else if (s && mcg_parse_duration(s, &sec, why) == 0 && sec * 1e6 < 9e18) {
        n = (int64_t)(sec * 1e6 + 0.5);
    } else {
        *why = "not a time (use microseconds, or a String with a unit such as \"20ms\")";
        return -1;
    }
    if (n < 0) {
        *why = "negative time";
        return -1;
    }
    *out = int_text(mrb, n);
    return 0;
}

static to_kernel_fn *const to_kernel_by_kind[] = {
    [MCG_K_INT] = int_to_kernel,          [MCG_K_QUOTA] = int_to_kernel,
    [MCG_K_SIZE] = limit_to_kernel,       [MCG_K_COUNT] = limit_to_kernel,
    [MCG_K_CPULIST] = cpulist_to_kernel,  [MCG_K_DEVRATE] = device_to_kernel,
    [MCG_K_DEVBPS] = device_to_kernel,    [MCG_K_BOOL] = bool_to_kernel,
    [MCG_K_TEXT] = text_to_kernel,        [MCG_K_USEC] = usec_to_kernel,
};

/* Convert a policy value to the text written to the kernel.  Returns -1
 * with *why for values that are wrong whatever the kernel says. */
int mcg_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, mrb_value *out,
                  const char **why)
{
    const char *s = NULL;

    if (mrb_string_p(v) && !(s = mcg_cstr_of(mrb, v))) {
        *why = "contains a NUL byte";
        return -1;
    }
    if ((size_t)kind >= sizeof(to_kernel_by_kind) / sizeof(to_kernel_by_kind[0]) ||
        !to_kernel_by_kind[kind]) {
        *why = "unsupported value";
        return -1;
    }
    return to_kernel_by_kind[kind](mrb, kind, v, s, out, why);
}

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull ..." ->
 * {"some" => {"avg10" => 0.0, ..., "total" => 0}, "full" => {...}} */
static mrb_value pressure_hash(mrb_state *mrb, const char *text)
{
    mrb_value h = mrb_hash_new(mrb);
    /* a String of our own to cut up: the GC's to free, should a raise come */
    char *copy = RSTRING_PTR(mrb_str_new_cstr(mrb, text));

    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *lsave = NULL, *kind = strtok_r(line, " ", &lsave);
        mrb_value fields = mrb_hash_new(mrb);
        for (char *f = strtok_r(NULL, " ", &lsave); f; f = strtok_r(NULL, " ", &lsave)) {
            char *eq = strchr(f, '=');
            if (!eq)
                continue;
            *eq = '\0';
            mrb_value v = strcmp(f, "total") == 0
                              ? mrb_int_value(mrb, (mrb_int)strtoll(eq + 1, NULL, 10))
                              : mrb_float_value(mrb, strtod(eq + 1, NULL));
            mrb_hash_set(mrb, fields, mrb_str_new_cstr(mrb, f), v);
        }
        mrb_hash_set(mrb, h, mrb_str_new_cstr(mrb, kind), fields);
    }
    return h;
}

/* "low 0\nhigh 12\n..." -> {"low" => 0, "high" => 12, ...} */
static mrb_value events_hash(mrb_state *mrb, const char *text)
{
    mrb_value h = mrb_hash_new(mrb);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        size_t kl = strcspn(p, " \t\n");
        if (kl == 0 || (p[kl] != ' ' && p[kl] != '\t'))
            continue;
        mrb_hash_set(mrb, h, mrb_str_new(mrb, p, (mrb_int)kl),
                     mrb_int_value(mrb, (mrb_int)strtoll(p + kl + 1, NULL, 10)));
    }
    return h;
}

/* Kernel text to a Ruby value. */
mrb_value mcg_from_kernel(mrb_state *mrb, enum mcg_kind kind, const char *text)
{
    int64_t n;
    const char *why;

    switch (kind) {
    case MCG_K_COUNT:
        if (strcmp(text, "max") == 0)
            return mrb_fixnum_value(-1);
        /* fall through */
    case MCG_K_INT:
    case MCG_K_QUOTA:
    case MCG_K_SIZE:
    case MCG_K_USEC:
        if (mcg_parse_int(text, &n, &why) == 0)
            return mrb_int_value(mrb, (mrb_int)n);
        return mrb_str_new_cstr(mrb, text);
    case MCG_K_BOOL: {
        /* "1", or "oom_kill_disable 1\nunder_oom 0\n...": the first line's number */
        const char *eol = strchr(text, '\n');
        const char *p = eol ? eol : text + strlen(text);
        while (p > text && p[-1] >= '0' && p[-1] <= '9')
            p--;
        return mrb_bool_value(atoi(p) != 0);
    }
    case MCG_K_PRESSURE:
        return pressure_hash(mrb, text);
    case MCG_K_EVENTS:
        return events_hash(mrb, text);
    default:
        /* mruby-cgroup returns nil for an empty value */
        return *text ? mrb_str_new_cstr(mrb, text) : mrb_nil_value();
    }
}

/* The generic form for files the table does not type: an Integer when the
 * file holds one number, else the text. */
mrb_value mcg_from_kernel_generic(mrb_state *mrb, const char *text)
{
    int64_t n;
    const char *why;

    if (*text && mcg_parse_int(text, &n, &why) == 0)
        return mrb_int_value(mrb, (mrb_int)n);
    return mrb_str_new_cstr(mrb, text);
}

