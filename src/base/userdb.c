/* User and group lookups that are safe in a static program (userdb.h):
 * /etc/passwd and /etc/group read directly, getent(1) for the rest. */
#define _GNU_SOURCE
#include "base/userdb.h"
#include "base/subprocess.h"

#ifndef MCGEXEC_STATIC

struct passwd *mcg_getpwnam(const char *name) { return getpwnam(name); }
struct passwd *mcg_getpwuid(uid_t uid) { return getpwuid(uid); }
struct group *mcg_getgrnam(const char *name) { return getgrnam(name); }
struct group *mcg_getgrgid(gid_t gid) { return getgrgid(gid); }
int mcg_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
    return getgrouplist(user, group, groups, ngroups);
}

#else /* MCGEXEC_STATIC */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GETENT "/usr/bin/getent"


/* Results live in these until the next call for the same database, as
 * glibc's do; each database has its own, so that a user looked up stays
 * valid across a group lookup. */
static char pw_buf[4096], gr_buf[65536], ig_buf[65536];
static struct passwd pw_res;
static struct group gr_res;

/* ---- /etc/passwd and /etc/group, read with fgetpwent_r/fgetgrent_r:
 * the files themselves, not NSS ---------------------------------------- */

/* The first entry of /etc/passwd that `match` accepts. */
static struct passwd *passwd_file(int (*match)(const struct passwd *, const void *), const void *key)
{
    struct passwd *found = NULL, *pw;
    FILE *f = fopen("/etc/passwd", "re");

    if (!f)
        return NULL;
    while (!found && fgetpwent_r(f, &pw_res, pw_buf, sizeof(pw_buf), &pw) == 0)
        if (match(pw, key))
            found = pw;
    fclose(f);
    return found;
}

static struct group *group_file(int (*match)(const struct group *, const void *), const void *key)
{
    struct group *found = NULL, *gr;
    FILE *f = fopen("/etc/group", "re");

    if (!f)
        return NULL;
    while (!found && fgetgrent_r(f, &gr_res, gr_buf, sizeof(gr_buf), &gr) == 0)
        if (match(gr, key))
            found = gr;
    fclose(f);
    return found;
}

static int pw_name_is(const struct passwd *pw, const void *key) { return strcmp(pw->pw_name, key) == 0; }
static int pw_uid_is(const struct passwd *pw, const void *key) { return pw->pw_uid == *(const uid_t *)key; }
static int gr_name_is(const struct group *gr, const void *key) { return strcmp(gr->gr_name, key) == 0; }
static int gr_gid_is(const struct group *gr, const void *key) { return gr->gr_gid == *(const gid_t *)key; }

/* ---- everything else (systemd, sssd, LDAP): getent(1), a dynamic
 * program that loads the modules nsswitch.conf names ------------------- */

/* `getent DB KEY`'s first line, in out, or NULL (not found, or no
 * getent). */
static char *getent(const char *db, const char *key, char *out, size_t size)
{
    char *const argv[] = { GETENT, (char *)db, (char *)key, NULL };
    char *const envp[] = { "PATH=/usr/bin:/bin", NULL };

    return mcg_spawn_read(argv, envp, 0, out, size) == 0 && out[0] ? out : NULL;
}

/* Split `line` at ':' into at most `max` fields. */
static int fields(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line; n < max; p++) {
        f[n++] = p;
        if (!(p = strchr(p, ':')))
            break;
        *p = '\0';
    }
    return n;
}

static struct passwd *passwd_from(char *line)
{
    struct passwd pw;
    char *f[7], *end;
    if (!line || fields(line, f, 7) != 7)
        return NULL;
    pw = (struct passwd){ .pw_name = f[0], .pw_passwd = f[1], .pw_gecos = f[4],
                          .pw_dir = f[5], .pw_shell = f[6] };
    pw.pw_uid = (uid_t)strtoul(f[2], &end, 10);
    if (*end)
        return NULL;
    pw.pw_gid = (gid_t)strtoul(f[3], &end, 10);
    if (*end)
        return NULL;
    pw_res = pw;
    return &pw_res;
}

static struct group *group_from(char *line)
{
    struct group gr;
    static char *mem[1024];
    char *f[4], *end, *save = NULL;
    int n = 0;
    if (!line || fields(line, f, 4) != 4)
        return NULL;
    gr = (struct group){ .gr_name = f[0], .gr_passwd = f[1], .gr_mem = mem };
    gr.gr_gid = (gid_t)strtoul(f[2], &end, 10);
    if (*end)
        return NULL;
    for (char *m = strtok_r(f[3], ",", &save); m && n < 1023; m = strtok_r(NULL, ",", &save))
        mem[n++] = m;
    mem[n] = NULL;
    gr_res = gr;
    return &gr_res;
}

/* What files did not know, from `getent passwd KEY` or `getent group KEY`
 * (a name or a decimal id). */
static struct passwd *passwd_getent(const char *key)
{
    return passwd_from(getent("passwd", key, pw_buf, sizeof(pw_buf)));
}

static struct group *group_getent(const char *key)
{
    return group_from(getent("group", key, gr_buf, sizeof(gr_buf)));
}

struct passwd *mcg_getpwnam(const char *name)
{
    struct passwd *pw = passwd_file(pw_name_is, name);
    return pw ? pw : passwd_getent(name);
}

struct passwd *mcg_getpwuid(uid_t uid)
{
    char key[32];
    struct passwd *pw = passwd_file(pw_uid_is, &uid);
    if (pw)
        return pw;
    snprintf(key, sizeof(key), "%lu", (unsigned long)uid);
    return passwd_getent(key);
}

struct group *mcg_getgrnam(const char *name)
{
    struct group *gr = group_file(gr_name_is, name);
    return gr ? gr : group_getent(name);
}

struct group *mcg_getgrgid(gid_t gid)
{
    char key[32];
    struct group *gr = group_file(gr_gid_is, &gid);
    if (gr)
        return gr;
    snprintf(key, sizeof(key), "%lu", (unsigned long)gid);
    return group_getent(key);
}

/* Append g to groups (up to max; n counts every one, as getgrouplist). */
static void add_group(gid_t *groups, int max, int *n, gid_t g)
{
    for (int i = 0; i < *n && i < max; i++)
        if (groups[i] == g)
            return;
    if (*n < max)
        groups[*n] = g;
    (*n)++;
}

/* A user /etc/passwd knows gets its groups from /etc/group, as glibc's
 * files service gives them; any other, from `getent initgroups`. */
int mcg_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
    int n = 0, max = *ngroups;

    add_group(groups, max, &n, group);
    if (passwd_file(pw_name_is, user)) {
        FILE *f = fopen("/etc/group", "re");
        struct group *gr;
        while (f && fgetgrent_r(f, &gr_res, gr_buf, sizeof(gr_buf), &gr) == 0)
            for (char **m = gr->gr_mem; m && *m; m++)
                if (strcmp(*m, user) == 0)
                    add_group(groups, max, &n, gr->gr_gid);
        if (f)
            fclose(f);
    } else {
        char *line = getent("initgroups", user, ig_buf, sizeof(ig_buf)), *save = NULL, *end;
        /* "USER   GID GID ..." */
        for (char *t = line ? strtok_r(line, " \t", &save) : NULL; t; t = strtok_r(NULL, " \t", &save)) {
            if (t == line)
                continue; /* the user name */
            gid_t g = (gid_t)strtoul(t, &end, 10);
            if (!*end)
                add_group(groups, max, &n, g);
        }
    }
    *ngroups = n;
    return n > max ? -1 : n;
}

/* The static link routes every call of these in the program, mruby's gems'
 * included (mruby-io's File.expand_path("~user") calls getpwnam), here:
 * CMake links with -Wl,--wrap for each, so glibc's NSS versions, which
 * would load modules into a static program, are not linked at all.
 * `used`: the redirection is the linker's, which link-time optimisation
 * does not see, so to it nothing would call these (GCC bug 88643). */
#define WRAPPER __attribute__((used))
WRAPPER struct passwd *__wrap_getpwnam(const char *name) { return mcg_getpwnam(name); }
WRAPPER struct passwd *__wrap_getpwuid(uid_t uid) { return mcg_getpwuid(uid); }
WRAPPER struct group *__wrap_getgrnam(const char *name) { return mcg_getgrnam(name); }
WRAPPER struct group *__wrap_getgrgid(gid_t gid) { return mcg_getgrgid(gid); }
WRAPPER int __wrap_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
    return mcg_getgrouplist(user, group, groups, ngroups);
}

#endif /* MCGEXEC_STATIC */
