/* Parsing /proc/self/mountinfo and /proc/PID/cgroup (mounts.h says why
 * here and not through libcgroup). */
#define _GNU_SOURCE
#include "base/mounts.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>


/* mountinfo escapes ' ', '\t', '\n' and '\\' in paths as \ooo (octal). */
static char *unescape(const char *in)
{
    char *out = xstrdup(in), *o = out;
    for (const char *p = in; *p;) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *o++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
            p += 4;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* Is `word` one of the comma-separated options in `opts`? */
static int has_option(const char *opts, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = opts; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

void mcg_mount_free(struct mcg_mount *m)
{
    free(m->path);
    free(m->root);
    m->path = m->root = NULL;
}

/* Record a mount in `m` unless it already holds a better one: the first of
 * the whole hierarchy wins, then the first at all. */
static void offer(struct mcg_mount *m, const char *root, const char *path)
{
    if (m->path && (strcmp(m->root, "/") == 0 || strcmp(root, "/") != 0))
        return;
    mcg_mount_free(m);
    m->path = unescape(path);
    m->root = unescape(root);
}

/* The next line of text, NUL-terminated in place; NULL at the end. */
static char *next_line(char **text)
{
    char *line = *text, *nl;
    if (!line || !*line)
        return NULL;
    if ((nl = strchr(line, '\n'))) {
        *nl = '\0';
        *text = nl + 1;
    } else {
        *text = NULL;
    }
    return line;
}

void mcg_find_mounts(char *mountinfo, const char *const *names, int n, struct mcg_mount *v1,
                     struct mcg_mount *v2)
{
    char *line, *rest = mountinfo;

    for (int i = 0; i < n; i++)
        v1[i] = (struct mcg_mount){ NULL, NULL };
    *v2 = (struct mcg_mount){ NULL, NULL };
    while ((line = next_line(&rest))) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
        char *f[6], *save = NULL, *tok;
        int nf = 0;
        for (tok = strtok_r(line, " ", &save); tok && nf < 6; tok = strtok_r(NULL, " ", &save))
            f[nf++] = tok;
        if (nf < 6)
            continue;
        while (tok && strcmp(tok, "-") != 0)
            tok = strtok_r(NULL, " ", &save);
        char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
        char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
        char *super = source ? strtok_r(NULL, " ", &save) : NULL;
        if (!super)
            continue;
        if (strcmp(fstype, "cgroup2") == 0) {
            offer(v2, f[3], f[4]);
        } else if (strcmp(fstype, "cgroup") == 0) {
            for (int i = 0; i < n; i++)
                if (has_option(super, names[i]))
                    offer(&v1[i], f[3], f[4]);
        }
    }
}

char *mcg_rel_to_root(const char *path, const char *root)
{
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    if (n > 0 && strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/'))
        path += n;
    while (*path == '/')
        path++;
    char *out = xstrdup(path);
    for (size_t l = strlen(out); l > 0 && out[l - 1] == '/'; l--)
        out[l - 1] = '\0';
    return out;
}

void mcg_parse_proc_cgroup(char *text, const char *const *names, int n, const char *const *roots,
                           char **out, const char *v2root, char **v2out)
{
    char *line, *rest = text;

    for (int i = 0; i < n; i++)
        out[i] = NULL;
    *v2out = NULL;
    while ((line = next_line(&rest))) {
        /* HIERARCHY-ID:CONTROLLERS:PATH; PATH may itself hold ':' */
        char *ctrls = strchr(line, ':'), *path;
        if (!ctrls || !(path = strchr(++ctrls, ':')))
            continue;
        *path++ = '\0';
        if (strncmp(line, "0:", 2) == 0 && ctrls[0] == '\0') {
            if (!*v2out)
                *v2out = mcg_rel_to_root(path, v2root ? v2root : "/");
            continue;
        }
        for (int i = 0; i < n; i++)
            if (!out[i] && has_option(ctrls, names[i]))
                out[i] = mcg_rel_to_root(path, roots && roots[i] ? roots[i] : "/");
    }
}
