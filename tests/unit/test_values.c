/* Unit tests of the value parsers: each case is an input and the exact
 * expected result (or failure). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/values.h"

#include "check.h"

static void size_ok(const char *in, int64_t want)
{
    int64_t got = 0;
    const char *why = NULL;
    int r = mcg_parse_size(in, &got, &why);
    CHECK(r == 0 && got == want, "size \"%s\": want %lld, got r=%d %lld (%s)", in,
          (long long)want, r, (long long)got, why ? why : "");
}

static void size_bad(const char *in, const char *why_part)
{
    int64_t got = 0;
    const char *why = NULL;
    int r = mcg_parse_size(in, &got, &why);
    CHECK(r == -1 && why && strstr(why, why_part), "size \"%s\": want failure '%s', got r=%d %lld",
          in, why_part, r, (long long)got);
}

static void test_sizes(void)
{
    size_ok("0", 0);
    size_ok("4096", 4096);
    size_ok("64k", 65536);
    size_ok("64K", 65536);
    size_ok("64KiB", 65536);
    size_ok("64kb", 65536);
    size_ok("512M", 536870912);
    size_ok("1.5G", 1610612736);
    size_ok("2 G", 2147483648LL);
    size_ok("1T", 1099511627776LL);
    size_ok("max", -1);
    size_ok("MAX", -1);
    size_ok("-1", -1);
    size_ok("100B", 100);
    size_ok("9223372036854775807", INT64_MAX);
    size_bad("-5", "negative");
    size_bad("-5M", "negative");
    size_bad("12Q", "invalid size");
    size_bad("M", "invalid size");
    size_bad("", "invalid size");
    size_bad("1..5G", "invalid size");
    size_bad("1.5", "whole number");
    size_bad("0.1", "whole number");
    size_bad("1.5b", "whole number");
    size_ok("2.0", 2);
    size_ok("1.5K", 1536);
    size_bad("1.5.5G", "invalid size");
    size_bad("5 M B", "invalid size");
    size_bad("9223372036854775808", "too large");
    size_bad("8388608T", "too large");
    size_bad("99999999999999999999999999G", "too large");
}

static void test_ints(void)
{
    int64_t v;
    const char *why;
    CHECK(mcg_parse_int("50000", &v, &why) == 0 && v == 50000, "int 50000");
    CHECK(mcg_parse_int("-1", &v, &why) == 0 && v == -1, "int -1");
    CHECK(mcg_parse_int(" 7 ", &v, &why) == 0 && v == 7, "int with blanks");
    CHECK(mcg_parse_int("7x", &v, &why) == -1, "int 7x");
    CHECK(mcg_parse_int("", &v, &why) == -1, "int empty");
    CHECK(mcg_parse_int("0x10", &v, &why) == -1, "int hex");
    CHECK(mcg_parse_int("99999999999999999999", &v, &why) == -1 && strstr(why, "range"),
          "int overflow");
}

static void test_cpulists(void)
{
    const char *why;
    const char *good[] = { "0", "0-3", "0-3,5", "0,2,4-6", "1-1", "" };
    const char *bad[] = { "a", "0-", "-1", "3-1", "0,,1", "0-3,", " 0", "0 - 3" };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        CHECK(mcg_check_cpulist(good[i], &why) == 0, "cpulist \"%s\" should pass", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        CHECK(mcg_check_cpulist(bad[i], &why) == -1, "cpulist \"%s\" should fail", bad[i]);
}

static void test_percent(void)
{
    int64_t q;
    const char *why;
    CHECK(mcg_parse_percent_quota("150%", 100000, &q, &why) == 0 && q == 150000, "150%%");
    CHECK(mcg_parse_percent_quota("10%", 100000, &q, &why) == 0 && q == 10000, "10%%");
    CHECK(mcg_parse_percent_quota("37.5%", 200000, &q, &why) == 0 && q == 75000, "37.5%%");
    CHECK(mcg_parse_percent_quota("150", 100000, &q, &why) == -1, "missing %%");
    CHECK(mcg_parse_percent_quota("0%", 100000, &q, &why) == -1, "0%%");
    CHECK(mcg_parse_percent_quota("-5%", 100000, &q, &why) == -1, "negative");
    CHECK(mcg_parse_percent_quota("5%x", 100000, &q, &why) == -1, "trailing garbage");
}

static void test_devices(void)
{
    char dev[64];
    const char *rest, *why;
    CHECK(mcg_parse_device("254:0 2097152", dev, sizeof(dev), &rest, &why) == 0 &&
              strcmp(dev, "254:0") == 0 && strcmp(rest, "2097152") == 0,
          "MAJ:MIN form");
    CHECK(mcg_parse_device("/dev/null 5", dev, sizeof(dev), &rest, &why) == -1 &&
              strstr(why, "not a block device"),
          "/dev/null is a char device");
    CHECK(mcg_parse_device("/nonexistent/dev 5", dev, sizeof(dev), &rest, &why) == -1 &&
              strstr(why, "no such device"),
          "missing device path");
    CHECK(mcg_parse_device("254:0", dev, sizeof(dev), &rest, &why) == -1, "no value");
    CHECK(mcg_parse_device("254 5", dev, sizeof(dev), &rest, &why) == -1, "no minor");
    CHECK(mcg_parse_device("254:0x 5", dev, sizeof(dev), &rest, &why) == -1, "junk in dev");
}

static void name_ok(const char *n)
{
    const char *why;
    CHECK(mcg_check_group_name(n, strlen(n), &why) == 0, "name \"%s\" should pass", n);
}

static void name_bad(const char *n, size_t len, const char *part)
{
    const char *why = "";
    int r = mcg_check_group_name(n, len, &why);
    CHECK(r == -1 && strstr(why, part), "name should fail with '%s', got %d '%s'", part, r, why);
}

static void test_names(void)
{
    char longc[300];
    name_ok("web");
    name_ok("/web");
    name_ok("ci/job-42");
    name_ok("/");
    name_ok("a.b/c..d/...");
    name_bad("", 0, "empty");
    name_bad("..", 2, "\"..\"");
    name_bad("../../etc", 9, "\"..\"");
    name_bad("a/./b", 5, "\".\"");
    name_bad("a//b", 4, "empty component");
    name_bad("a/", 2, "empty component");
    name_bad("//a", 3, "empty component");
    name_bad("a\nb", 3, "control");
    name_bad("a\x7f", 2, "control");
    name_bad("a\0b", 3, "NUL");
    memset(longc, 'x', 256);
    longc[256] = '\0';
    name_bad(longc, 256, "255");
    longc[255] = '\0';
    name_ok(longc);
}

static void test_format(void)
{
    char buf[64];
    mcg_format_bytes(512LL << 20, buf, sizeof(buf));
    CHECK(strcmp(buf, "512.0 MiB") == 0, "format 512 MiB: %s", buf);
    mcg_format_bytes(100, buf, sizeof(buf));
    CHECK(strcmp(buf, "100 bytes") == 0, "format 100: %s", buf);
}

static void test_weight(void)
{
    static const struct { uint64_t shares, weight; } cases[] = {
        { 0, 0 }, { 2, 1 }, { 1024, 100 }, { 512, 59 }, { 2048, 174 }, { 262144, 10000 },
        { 300000, 10000 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        uint64_t w = mcg_shares_to_weight(cases[i].shares);
        CHECK(w == cases[i].weight, "shares %llu -> weight %llu, want %llu",
              (unsigned long long)cases[i].shares, (unsigned long long)w,
              (unsigned long long)cases[i].weight);
    }
    CHECK(mcg_weight_to_shares(100) == 1024, "weight 100 -> %llu",
          (unsigned long long)mcg_weight_to_shares(100));
    CHECK(mcg_weight_to_shares(59) == 512, "weight 59 -> %llu",
          (unsigned long long)mcg_weight_to_shares(59));
    CHECK(mcg_weight_to_shares(174) == 2048, "weight 174 -> %llu",
          (unsigned long long)mcg_weight_to_shares(174));
    /* every weight reached from some shares maps back to shares of that weight */
    for (uint64_t s = 2; s <= 262144; s = s * 5 / 4 + 1) {
        uint64_t w = mcg_shares_to_weight(s);
        CHECK(mcg_shares_to_weight(mcg_weight_to_shares(w)) == w, "round trip of %llu",
              (unsigned long long)s);
    }
}

/* blkio weight to io.weight as runc and crun map it, and back */
static void test_io_weight(void)
{
    static const struct { uint64_t blkio, io; } cases[] = {
        { 10, 1 }, { 100, 910 }, { 500, 4950 }, { 1000, 10000 }, { 1, 1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t w = mcg_blkio_to_io_weight(cases[i].blkio);
        CHECK(w == cases[i].io, "blkio %llu -> io %llu, want %llu",
              (unsigned long long)cases[i].blkio, (unsigned long long)w,
              (unsigned long long)cases[i].io);
    }
    for (uint64_t b = 10; b <= 1000; b++)
        CHECK(mcg_io_to_blkio_weight(mcg_blkio_to_io_weight(b)) == b, "round trip of %llu",
              (unsigned long long)b);
    CHECK(mcg_io_to_blkio_weight(1) == 10 && mcg_io_to_blkio_weight(10000) == 1000,
          "the ends of io.weight");
}

static void test_pressure(void)
{
    int64_t v = 0;
    const char *p = "some avg10=1.50 avg60=0.20 avg300=0.00 total=123456\n"
                    "full avg10=0.00 avg60=0.00 avg300=0.00 total=789\n";
    CHECK(mcg_pressure_total(p, "some", &v) == 0 && v == 123456, "some total");
    CHECK(mcg_pressure_total(p, "full", &v) == 0 && v == 789, "full total");
    CHECK(mcg_pressure_total("some avg10=0.00 total=5", "full", &v) == -1, "no full line");
    CHECK(mcg_pressure_total("something avg10=0 total=5", "some", &v) == -1, "no prefix match");
}

static void test_keyed(void)
{
    int64_t v = 0;
    const char *stat = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_throttled 7\n";
    CHECK(mcg_keyed_value(stat, "usage_usec", &v) == 0 && v == 1500, "usage_usec");
    CHECK(mcg_keyed_value(stat, "nr_throttled", &v) == 0 && v == 7, "nr_throttled");
    CHECK(mcg_keyed_value(stat, "user", &v) == -1, "no prefix match");
    CHECK(mcg_keyed_value("oom 0\noom_kill 2", "oom_kill", &v) == 0 && v == 2, "oom_kill");
}

static void test_durations(void)
{
    static const struct { const char *in; double want; } good[] = {
        { "90", 90 }, { "90s", 90 }, { "1.5s", 1.5 }, { "500ms", 0.5 }, { "5m", 300 },
        { "1h", 3600 }, { "2d", 172800 }, { ".5", 0.5 }, { "1m30s", 90 }, { "1h2m3s", 3723 },
        { "2s500ms", 2.5 }, { "1d12h", 129600 }, { "0s5s", 5 },
    };
    static const char *const bad[] = { "", "0", "-1", "5x", "m", "1 h", "5mm", "1e99", "0x10",
                                       "1m30", "30 s", "1m-5s", "1..5s", "s", "1ms2", "0s" };
    double v;
    const char *why;
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        CHECK(mcg_parse_duration(good[i].in, &v, &why) == 0 && v == good[i].want,
              "duration \"%s\"", good[i].in);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        CHECK(mcg_parse_duration(bad[i], &v, &why) == -1, "duration \"%s\" should fail", bad[i]);
}

static void test_signals(void)
{
    static const struct { const char *in; int want; } good[] = {
        { "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "term", SIGTERM }, { "sigint", SIGINT },
        { "KILL", SIGKILL }, { "15", 15 }, { "1", 1 }, { "USR1", SIGUSR1 },
    };
    static const char *const bad[] = { "", "SIG", "NOPE", "0", "-15", "15x", "999", "SIGSIGTERM" };
    int sig;
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        CHECK(mcg_parse_signal(good[i].in, &sig) == 0 && sig == good[i].want, "signal \"%s\"",
              good[i].in);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        CHECK(mcg_parse_signal(bad[i], &sig) == -1, "signal \"%s\" should fail", bad[i]);
    CHECK(mcg_signal_name(SIGTERM) && strcmp(mcg_signal_name(SIGTERM), "SIGTERM") == 0, "SIGTERM");
    CHECK(mcg_signal_name(SIGSEGV) && strcmp(mcg_signal_name(SIGSEGV), "SIGSEGV") == 0, "SIGSEGV");
    CHECK(mcg_signal_name(SIGRTMIN) == NULL, "a real-time signal has no name here");
}

int main(void)
{
    test_signals();
    test_durations();
    test_weight();
    test_keyed();
    test_io_weight();
    test_pressure();
    test_sizes();
    test_ints();
    test_cpulists();
    test_percent();
    test_devices();
    test_names();
    test_format();
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
