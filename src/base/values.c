/* Parsers and converters of values, free of mruby and of the system so
 * that tests/unit/test_values.c can test them: sizes, lists, devices,
 * names, durations, weights, keyed files. */
#define _GNU_SOURCE
#include "base/values.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

int mcg_parse_int(const char *s, int64_t *out, const char **why)
{
    char *end;
    long long v;

    s = skip_blanks(s);
    if (!*s || (!isdigit((unsigned char)*s) && *s != '-' && *s != '+')) {
        *why = "not an integer";
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE) {
        *why = "out of range";
        return -1;
    }
    if (end == s || *skip_blanks(end)) {
        *why = "not an integer";
        return -1;
    }
    *out = v;
    return 0;
}

/* Binary units, as the kernel's memparse() reads them. */
static int unit_shift(const char *u, int *shift)
{
    static const struct { char c; int shift; } units[] = {
        { 'k', 10 }, { 'm', 20 }, { 'g', 30 }, { 't', 40 }, { 'p', 50 },
    };
    char c = (char)tolower((unsigned char)*u);

    if (*u == '\0' || strcasecmp(u, "b") == 0) {
        *shift = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (c != units[i].c)
            continue;
        u++;
        /* "K", "KB", "KiB" all mean 1024: cgroup files count in powers of two. */
        if (*u == '\0' || strcasecmp(u, "b") == 0 || strcasecmp(u, "ib") == 0) {
            *shift = units[i].shift;
            return 0;
        }
        return -1;
    }
    return -1;
}

int mcg_parse_size(const char *s, int64_t *out, const char **why)
{
    static const char bad_unit[] =
        "invalid size (use bytes, or a number with unit K, M, G or T, or \"max\")";
    const char *p = skip_blanks(s);
    char num[64];
    size_t n = 0;
    int shift, dot = 0;

    if (strcasecmp(p, "max") == 0 || strcmp(p, "-1") == 0) {
        *out = -1;
        return 0;
    }
    if (*p == '-') {
        *why = "negative size (use -1 or :max for no limit)";
        return -1;
    }
    while ((isdigit((unsigned char)*p) || (*p == '.' && !dot)) && n < sizeof(num) - 1) {
        dot |= *p == '.';
        num[n++] = *p++;
    }
    num[n] = '\0';
    if (n == 0 || (n == 1 && dot)) {
        *why = bad_unit;
        return -1;
    }
    p = skip_blanks(p);
    char unit[8];
    size_t un = strlen(p);
    while (un > 0 && (p[un - 1] == ' ' || p[un - 1] == '\t'))
        un--;
    if (un >= sizeof(unit) || (memcpy(unit, p, un), unit[un] = '\0', unit_shift(unit, &shift) < 0)) {
        *why = bad_unit;
        return -1;
    }
    if (dot && shift == 0 && strspn(strchr(num, '.') + 1, "0") != strlen(strchr(num, '.') + 1)) {
        /* "1.5" as bytes: no such thing (with a unit, "1.5K" is 1536) */
        *why = "a size in bytes must be a whole number (give a unit, such as 1.5K, or whole bytes)";
        return -1;
    }
    if (dot) {
        double v = strtod(num, NULL) * (double)(1ULL << shift);
        if (!(v < 9.2e18)) {
            *why = "size too large";
            return -1;
        }
        *out = (int64_t)llround(v);
        return 0;
    }
    errno = 0;
    unsigned long long v = strtoull(num, NULL, 10);
    if (errno == ERANGE || v > ((unsigned long long)INT64_MAX >> shift)) {
        *why = "size too large";
        return -1;
    }
    *out = (int64_t)(v << shift);
    return 0;
}

int mcg_check_cpulist(const char *s, const char **why)
{
    const char *p = s;

    if (*p == '\0')
        return 0; /* empty is a valid (if useless) list: the kernel decides */
    for (;;) {
        char *end;
        unsigned long a, b;

        if (!isdigit((unsigned char)*p))
            goto bad;
        a = strtoul(p, &end, 10);
        p = end;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad;
            b = strtoul(p, &end, 10);
            p = end;
            if (b < a) {
                *why = "range runs backwards";
                return -1;
            }
        }
        if (*p == '\0' || (*p == '\n' && p[1] == '\0'))
            return 0;
        if (*p++ != ',')
            goto bad;
    }
bad:
    *why = "invalid list (use numbers and ranges such as \"0-3,5\")";
    return -1;
}

int mcg_parse_percent_quota(const char *s, int64_t period_us, int64_t *quota_us,
                            const char **why)
{
    char *end;
    double pct;

    s = skip_blanks(s);
    if (!isdigit((unsigned char)*s)) {
        *why = "invalid CPU share (use a percentage of one CPU such as \"150%\")";
        return -1;
    }
    pct = strtod(s, &end);
    end = (char *)skip_blanks(end);
    if (*end != '%' || *skip_blanks(end + 1) != '\0') {
        *why = "invalid CPU share (use a percentage of one CPU such as \"150%\")";
        return -1;
    }
    if (!(pct > 0) || pct > 100000) {
        *why = "CPU share out of range (more than 0% and at most 100000%)";
        return -1;
    }
    *quota_us = (int64_t)llround(pct * (double)period_us / 100.0);
    return 0;
}

int mcg_parse_device(const char *s, char *dev, size_t devlen, const char **rest,
                     const char **why)
{
    const char *p = skip_blanks(s);
    size_t n = strcspn(p, " \t");
    char word[4096];

    if (n == 0 || n >= sizeof(word)) {
        *why = "expected \"MAJ:MIN VALUE\" or \"/dev/DEVICE VALUE\"";
        return -1;
    }
    memcpy(word, p, n);
    word[n] = '\0';
    *rest = skip_blanks(p + n);
    if (**rest == '\0') {
        *why = "missing value after the device";
        return -1;
    }
    if (word[0] == '/') {
        struct stat st;
        if (stat(word, &st) < 0) {
            *why = "no such device";
            return -1;
        }
        if (!S_ISBLK(st.st_mode)) {
            *why = "not a block device";
            return -1;
        }
        snprintf(dev, devlen, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
        return 0;
    }
    unsigned maj, min;
    int used = 0;
    if (sscanf(word, "%u:%u%n", &maj, &min, &used) != 2 || word[used] != '\0') {
        *why = "expected \"MAJ:MIN VALUE\" or \"/dev/DEVICE VALUE\"";
        return -1;
    }
    snprintf(dev, devlen, "%u:%u", maj, min);
    return 0;
}

int mcg_utf8_valid(const char *s, size_t len, size_t *bad)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        size_t n;
        unsigned min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            *bad = i;
            return 0;
        }
        if (len - i <= n) {
            *bad = i;
            return 0;
        }
        for (size_t k = 1; k <= n; k++) {
            if ((u[i + k] & 0xc0) != 0x80) {
                *bad = i;
                return 0;
            }
            cp = (cp << 6) | (u[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            *bad = i;
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

int mcg_check_group_name(const char *name, size_t len, const char **why)
{
    size_t bad;
    size_t i = 0;

    if (len == 0) {
        *why = "empty group name";
        return -1;
    }
    if (memchr(name, '\0', len)) {
        *why = "group name contains a NUL byte";
        return -1;
    }
    if (!mcg_utf8_valid(name, len, &bad)) {
        /* the kernel takes any byte, but /proc/PID/cgroup, logs and JSON
         * reports would carry them */
        *why = "group name is not valid UTF-8";
        return -1;
    }
    if (name[0] == '/')
        i = 1;
    if (i == len)
        return 0; /* "/" */
    while (i <= len) {
        size_t start = i;
        while (i < len && name[i] != '/') {
            unsigned char c = (unsigned char)name[i];
            if (c < 0x20 || c == 0x7f) {
                *why = "group name contains a control character";
                return -1;
            }
            i++;
        }
        size_t clen = i - start;
        if (clen == 0) {
            *why = "group name has an empty component";
            return -1;
        }
        if ((clen == 1 && name[start] == '.') ||
            (clen == 2 && name[start] == '.' && name[start + 1] == '.')) {
            *why = "group name has a \".\" or \"..\" component";
            return -1;
        }
        if (clen > 255) {
            *why = "group name has a component longer than 255 bytes";
            return -1;
        }
        i++; /* skip '/' */
    }
    return 0;
}

void mcg_format_bytes(int64_t bytes, char *buf, size_t len)
{
    static const char *units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    double v = (double)bytes;
    int u = 0;

    if (bytes < 1024) {
        snprintf(buf, len, "%lld bytes", (long long)bytes);
        return;
    }
    while (v >= 1024 && u < 6) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

uint64_t mcg_blkio_to_io_weight(uint64_t w)
{
    if (w <= 10)
        return 1;
    uint64_t v = 1 + (w - 10) * 9999 / 990;
    return v > 10000 ? 10000 : v;
}

/* the smallest blkio weight that maps to io.weight w (so that w round-trips) */
uint64_t mcg_io_to_blkio_weight(uint64_t w)
{
    if (w <= 1)
        return 10;
    uint64_t b = 10 + ((w - 1) * 990 + 9998) / 9999;
    while (b > 10 && mcg_blkio_to_io_weight(b - 1) >= w)
        b--;
    return b;
}

uint64_t mcg_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    double l = log2((double)shares);
    double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
    return (uint64_t)ceil(pow(10, exponent));
}

uint64_t mcg_weight_to_shares(uint64_t weight)
{
    if (weight == 0)
        return 0;
    if (weight <= 1)
        return 2;
    if (weight >= 10000)
        return 262144;
    /* solve (l*l + 125*l)/612 - 7/34 = log10(w) for l = log2(shares) */
    double c = 612.0 * (log10((double)weight) + 7.0 / 34.0);
    double l = (-125.0 + sqrt(125.0 * 125.0 + 4.0 * c)) / 2.0;
    uint64_t s = (uint64_t)llround(pow(2, l));
    /* The forward map rounds up, so each weight stands for a range of
     * shares [lo, hi].  Return the roundest value in it, so that the
     * values people write come back as written: 1024 -> 100 -> 1024,
     * 512 -> 59 -> 512. */
    uint64_t lo = s, hi = s;
    while (lo > 2 && mcg_shares_to_weight(lo - 1) >= weight)
        lo--;
    while (lo < 262144 && mcg_shares_to_weight(lo) < weight)
        lo++;
    while (hi < 262144 && mcg_shares_to_weight(hi + 1) <= weight)
        hi++;
    while (hi > lo && mcg_shares_to_weight(hi) > weight)
        hi--;
    for (uint64_t p = 1ULL << 18; p >= 2; p >>= 1)
        if (p >= lo && p <= hi)
            return p;
    for (uint64_t m = 10000; m >= 10; m /= 10) {
        uint64_t r = (hi / m) * m;
        if (r >= lo)
            return r;
    }
    s = lo + (hi - lo) / 2;
    return s;
}

int mcg_keyed_value(const char *text, const char *key, int64_t *out)
{
    size_t kl = strlen(key);
    const char *p = text;

    while (p && *p) {
        if (strncmp(p, key, kl) == 0 && (p[kl] == ' ' || p[kl] == '\t')) {
            *out = strtoll(p + kl + 1, NULL, 10);
            return 0;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

int mcg_pressure_total(const char *text, const char *which, int64_t *total)
{
    size_t wl = strlen(which);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, which, wl) != 0 || p[wl] != ' ')
            continue;
        const char *eol = strchr(p, '\n'), *t = strstr(p, " total=");
        if (!t || (eol && t > eol))
            return -1;
        *total = strtoll(t + 7, NULL, 10);
        return 0;
    }
    return -1;
}

int mcg_parse_duration(const char *s, double *seconds, const char **why)
{
    static const struct { const char *unit; double factor; } units[] = {
        { "s", 1 }, { "ms", 0.001 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 },
    };
    double total = 0;
    const char *p = s;

    *why = "invalid duration (use a number of seconds, or numbers with units ms, s, m, h or d, "
           "such as 90, 1m30s or 500ms)";
    do {
        /* a number: digits with at most one '.', no sign, no exponent */
        char num[32], unit[4];
        size_t n = 0, u = 0;
        int dot = 0;
        while ((isdigit((unsigned char)*p) || (*p == '.' && !dot)) && n < sizeof(num) - 1) {
            dot |= *p == '.';
            num[n++] = *p++;
        }
        num[n] = '\0';
        if (n == 0 || (n == 1 && dot))
            return -1;
        while (isalpha((unsigned char)*p) && u < sizeof(unit) - 1)
            unit[u++] = (char)*p++;
        unit[u] = '\0';
        double factor = 0;
        if (u == 0 && p == s + n && *p == '\0')
            factor = 1; /* a bare number is seconds, on its own only */
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && !factor; i++)
            if (strcmp(unit, units[i].unit) == 0)
                factor = units[i].factor;
        if (!factor)
            return -1;
        total += strtod(num, NULL) * factor;
    } while (*p);
    if (!(total > 0) || total > 1e9) {
        *why = "duration out of range (more than 0 and at most about 30 years)";
        return -1;
    }
    *seconds = total;
    return 0;
}

/* The signals by name, as kill(1) names them: what --timeout-signal takes
 * and what messages and the signal guard call them. */
static const struct { const char *name; int sig; } signal_names[] = {
    { "SIGHUP", SIGHUP }, { "SIGINT", SIGINT }, { "SIGQUIT", SIGQUIT }, { "SIGILL", SIGILL },
    { "SIGTRAP", SIGTRAP }, { "SIGABRT", SIGABRT }, { "SIGBUS", SIGBUS }, { "SIGFPE", SIGFPE },
    { "SIGKILL", SIGKILL }, { "SIGUSR1", SIGUSR1 }, { "SIGSEGV", SIGSEGV }, { "SIGUSR2", SIGUSR2 },
    { "SIGPIPE", SIGPIPE }, { "SIGALRM", SIGALRM }, { "SIGTERM", SIGTERM }, { "SIGCHLD", SIGCHLD },
    { "SIGCONT", SIGCONT }, { "SIGSTOP", SIGSTOP }, { "SIGTSTP", SIGTSTP }, { "SIGTTIN", SIGTTIN },
    { "SIGTTOU", SIGTTOU }, { "SIGURG", SIGURG }, { "SIGXCPU", SIGXCPU }, { "SIGXFSZ", SIGXFSZ },
    { "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF }, { "SIGWINCH", SIGWINCH }, { "SIGIO", SIGIO },
    { "SIGPWR", SIGPWR }, { "SIGSYS", SIGSYS },
};

int mcg_parse_signal(const char *s, int *sig)
{
    if (isdigit((unsigned char)*s)) {
        int64_t n;
        const char *why;
        if (mcg_parse_int(s, &n, &why) < 0 || n < 1 || n > SIGRTMAX)
            return -1;
        *sig = (int)n;
        return 0;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
        if (strcasecmp(s, signal_names[i].name + 3) == 0) {
            *sig = signal_names[i].sig;
            return 0;
        }
    return -1;
}

const char *mcg_signal_name(int sig)
{
    for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
        if (signal_names[i].sig == sig)
            return signal_names[i].name;
    return NULL;
}
