/* systemd's unit names (unitname.h). */
#include "base/unitname.h"

#include <stdio.h>
#include <string.h>

#define UNIT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.-"

int mcg_valid_slice(const char *s)
{
    size_t n = strlen(s);

    if (n <= 6 || n > 255 || strcmp(s + n - 6, ".slice") != 0)
        return 0;
    return strspn(s, UNIT_CHARS "\\") == n;
}

int mcg_slice_dir(const char *s, char *out, size_t len)
{
    size_t o = 0, stem = strlen(s) - 6;

    out[0] = '\0';
    if (strcmp(s, "-.slice") == 0)
        return 0;
    /* every prefix up to a '-', then the whole name */
    for (const char *dash = s;; dash++) {
        dash = strchr(dash, '-');
        if (dash && (size_t)(dash - s) >= stem)
            dash = NULL;
        size_t n = dash ? (size_t)(dash - s) : stem;
        int w = snprintf(out + o, len - o, "%s%.*s.slice", o ? "/" : "", (int)n, s);
        if (w < 0 || (size_t)w >= len - o)
            return -1;
        o += (size_t)w;
        if (!dash)
            return 0;
    }
}

void mcg_scope_name(const char *group, pid_t pid, char *out, size_t len)
{
    char g[101];
    size_t n = 0;

    while (*group == '/')
        group++;
    for (; *group && n < sizeof(g) - 1; group++) {
        char ch = *group;
        g[n++] = ch == '/' ? '-' : strchr(UNIT_CHARS, ch) ? ch : '_';
    }
    g[n] = '\0';
    snprintf(out, len, "mcgexec-%s-%d.scope", n ? g : "group", (int)pid);
}

/* Does the part of a cgroup path at p, n long, name a service or a scope? */
static int names_unit(const char *p, size_t n)
{
    static const char *const kinds[] = { ".service", ".scope" };

    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(kinds[i]);
        if (n > k && strncmp(p + n - k, kinds[i], k) == 0)
            return 1;
    }
    return 0;
}

const char *mcg_unit_of(const char *cgroup, size_t *end)
{
    size_t n = strlen(cgroup);

    while (n > 0) {
        size_t start = n;
        while (start > 0 && cgroup[start - 1] != '/')
            start--;
        if (names_unit(cgroup + start, n - start)) {
            *end = n;
            return cgroup + start;
        }
        n = start > 0 ? start - 1 : 0;
    }
    return NULL;
}

int mcg_unit_kind_is(const char *unit, const char *kind)
{
    size_t n = strlen(unit), k = strlen(kind);

    return n > k && strcmp(unit + n - k, kind) == 0;
}

int mcg_own_program(pid_t pid, pid_t ppid, pid_t main_pid, pid_t control_pid)
{
    const pid_t unit_pids[] = { main_pid, control_pid };

    for (size_t i = 0; i < 2; i++)
        if (unit_pids[i] > 0 && (pid == unit_pids[i] || ppid == unit_pids[i]))
            return 1;
    return 0;
}
