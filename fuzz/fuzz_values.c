/* libFuzzer target: the value parsers of src/base/values.c.
 *
 * The first byte picks the parser, the rest is the value as a policy would
 * give it.  Besides "no crash, no sanitizer report", each parser's promise
 * is checked: what it accepts, it must describe consistently. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    const char *why = NULL, *rest = NULL;
    int64_t n = 0;
    double d = 0;
    size_t bad = 0;
    char dev[64], buf[64];

    switch (data[0] % 10) {
    case 0:
        if (mcg_parse_size(s, &n, &why) == 0)
            assert(n >= -1);
        else
            assert(why && *why);
        break;
    case 1:
        if (mcg_parse_int(s, &n, &why) < 0)
            assert(why && *why);
        break;
    case 2:
        if (mcg_check_cpulist(s, &why) < 0)
            assert(why && *why);
        break;
    case 3:
        if (mcg_parse_percent_quota(s, 100000, &n, &why) == 0)
            assert(n > 0);
        else
            assert(why && *why);
        break;
    case 4:
        /* paths are stat(2)ed: harmless, and they exercise that branch */
        if (mcg_parse_device(s, dev, sizeof(dev), &rest, &why) == 0)
            assert(rest && strchr(dev, ':'));
        else
            assert(why && *why);
        break;
    case 5:
        /* group names may hold NUL bytes: the whole input counts */
        if (mcg_check_group_name((const char *)data + 1, size - 1, &why) == 0) {
            assert(!memchr(data + 1, '\0', size - 1));
            assert(mcg_utf8_valid((const char *)data + 1, size - 1, &bad));
        } else {
            assert(why && *why);
        }
        break;
    case 6:
        if (mcg_parse_duration(s, &d, &why) == 0)
            assert(d > 0);
        else
            assert(why && *why);
        break;
    case 7:
        if (!mcg_utf8_valid((const char *)data + 1, size - 1, &bad))
            assert(bad < size - 1);
        break;
    case 8:
        mcg_keyed_value(s, "oom_kill", &n);
        mcg_keyed_value(s, "", &n);
        break;
    case 9:
        if (mcg_parse_size(s, &n, &why) == 0) {
            mcg_format_bytes(n, buf, sizeof(buf));
            assert(strlen(buf) < sizeof(buf));
        }
        if (mcg_parse_int(s, &n, &why) == 0 && n >= 0) {
            uint64_t w = mcg_shares_to_weight((uint64_t)n);
            assert(w <= 10000);
            (void)mcg_weight_to_shares(w);
        }
        break;
    }
    free(s);
    return 0;
}
