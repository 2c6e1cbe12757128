#define _GNU_SOURCE
#include "mounts.h"

#include <stdlib.h>
#include <string.h>

/* mountinfo escapes ' ', '\t', '\n' and '\\' in paths as \ooo (octal). */
static void unescape(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < len; o++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            out[o] = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
            p += 4;
        } else {
            out[o] = *p++;
        }
    }
    out[o] = '\0';
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

/* Record a mount in `m` unless it already holds a better one: the first of
 * the whole hierarchy wins, then the first at all. */
static void offer(struct mcg_mount *m, const char *root, const char *path)
{
    int whole = strcmp(root, "/") == 0;
    if (m->path[0] && (strcmp(m->root, "/") == 0 || !whole))
        return;
    unescape(path, m->path, sizeof(m->path));
    unescape(root, m->root, sizeof(m->root));
}

int mcg_find_mounts(FILE *mountinfo, const char *const *names, int n, struct mcg_mount *v1,
                    struct mcg_mount *v2)
{
    char *line = NULL;
    size_t cap = 0;

    for (int i = 0; i < n; i++)
        v1[i].path[0] = v1[i].root[0] = '\0';
    v2->path[0] = v2->root[0] = '\0';
    while (getline(&line, &cap, mountinfo) > 0) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
        char *f[6], *save = NULL, *tok;
        int nf = 0;
        line[strcspn(line, "\n")] = '\0';
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
    int bad = ferror(mountinfo);
    free(line);
    return bad ? -1 : 0;
}

void mcg_rel_to_root(const char *path, const char *root, char *out, size_t len)
{
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    if (n > 0 && strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/'))
        path += n;
    while (*path == '/')
        path++;
    snprintf(out, len, "%s", path);
    for (size_t l = strlen(out); l > 0 && out[l - 1] == '/'; l--)
        out[l - 1] = '\0';
}

int mcg_parse_proc_cgroup(FILE *f, const char *const *names, int n, const char *const *roots,
                          char (*out)[PATH_MAX], int *found, const char *v2root, char *v2out,
                          int *v2found)
{
    char *line = NULL;
    size_t cap = 0;

    for (int i = 0; i < n; i++) {
        found[i] = 0;
        out[i][0] = '\0';
    }
    *v2found = 0;
    v2out[0] = '\0';
    while (getline(&line, &cap, f) > 0) {
        /* HIERARCHY-ID:CONTROLLERS:PATH; PATH may itself hold ':' */
        char *ctrls = strchr(line, ':'), *path;
        if (!ctrls || !(path = strchr(++ctrls, ':')))
            continue;
        *path++ = '\0';
        path[strcspn(path, "\n")] = '\0';
        if (strncmp(line, "0:", 2) == 0 && ctrls[0] == '\0') {
            mcg_rel_to_root(path, v2root ? v2root : "/", v2out, PATH_MAX);
            *v2found = 1;
            continue;
        }
        for (int i = 0; i < n; i++)
            if (!found[i] && has_option(ctrls, names[i])) {
                mcg_rel_to_root(path, roots && roots[i] ? roots[i] : "/", out[i], PATH_MAX);
                found[i] = 1;
            }
    }
    int bad = ferror(f);
    free(line);
    return bad ? -1 : 0;
}
