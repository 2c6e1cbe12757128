/* Parsers for the values a policy may give: sizes with units, cpu lists,
 * block devices, CPU percentages, group names.  Pure functions without
 * mruby or cgroupfs, so they can be unit-tested and fuzzed on their own.
 *
 * Each returns 0 on success, or -1 with a short reason in `why` (a static
 * string meant to follow "SETTING = VALUE: ").
 */
#ifndef MCGEXEC_VALUES_H
#define MCGEXEC_VALUES_H

#include <stddef.h>
#include <stdint.h>

/* "4096", "512M", "1.5G", "64k", "2KiB", "max", "-1".  -1 means unlimited. */
int mcg_parse_size(const char *s, int64_t *out, const char **why);

/* A decimal integer, optionally signed, with nothing after it. */
int mcg_parse_int(const char *s, int64_t *out, const char **why);

/* "0-3,5,7-8": a kernel cpu or memory-node list. */
int mcg_check_cpulist(const char *s, const char **why);

/* "150%" or "37.5%": share of one CPU, as a quota for `period_us`. */
int mcg_parse_percent_quota(const char *s, int64_t period_us, int64_t *quota_us,
                            const char **why);

/* "MAJ:MIN" or a block-device path, then blanks, then a value.  Writes the
 * kernel form "MAJ:MIN" into dev (size devlen) and returns the value part
 * (not parsed) through *rest.  A path is resolved with stat(2). */
int mcg_parse_device(const char *s, char *dev, size_t devlen, const char **rest,
                     const char **why);

/* A group name: components separated by '/', an optional leading '/';
 * no "", "." or ".." component, no control character, <= 255 bytes a
 * component.  "/" alone names the root. */
int mcg_check_group_name(const char *name, size_t len, const char **why);

/* Format bytes as "512.0 MiB" for messages. */
void mcg_format_bytes(int64_t bytes, char *buf, size_t len);

/* Is s[0..len) valid UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF)?  On false, *bad is the offset of the first bad byte. */
int mcg_utf8_valid(const char *s, size_t len, size_t *bad);

#endif

/* cpu.shares (v1) -> cpu.weight (v2), as crun >= 1.23 and runc >= 1.3.2:
 * 1024 -> 100, 512 -> 59, 2048 -> 174; 0 -> 0 (unset); clamped 1..10000. */
uint64_t mcg_shares_to_weight(uint64_t shares);
/* blkio's I/O weight (10..1000) to io.weight's (1..10000) and back, as runc
 * and crun map them: 1 + (w - 10) * 9999 / 990. */
uint64_t mcg_blkio_to_io_weight(uint64_t w);
uint64_t mcg_io_to_blkio_weight(uint64_t w);
/* The inverse, for getters that read back in v1 units (1024 <- 100). */
uint64_t mcg_weight_to_shares(uint64_t weight);

/* The value of `key` in a "key value" per line file (cpu.stat,
 * memory.events); -1 when absent. */
int mcg_keyed_value(const char *text, const char *key, int64_t *out);
/* A pressure file's (cpu.pressure ...) line `which`, "some" or "full": its
 * total= in microseconds; -1 when the text has no such line. */
int mcg_pressure_total(const char *text, const char *which, int64_t *total);

/* "90", "90s", "1.5s", "500ms", "5m", "1h", "1d", and sums of them such
 * as "1m30s" or "1h 30m" without blanks -> seconds (> 0). */
int mcg_parse_duration(const char *s, double *seconds, const char **why);

/* "TERM", "SIGTERM", "term", "15" -> 15; -1 for no such signal. */
int mcg_parse_signal(const char *s, int *sig);
/* 15 -> "SIGTERM"; NULL for a signal without a name here.  A lookup in a
 * constant table: safe in a signal handler. */
const char *mcg_signal_name(int sig);
