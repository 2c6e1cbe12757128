#define _GNU_SOURCE
#include "userdb.h"

#ifndef MCGEXEC_STATIC

void mcg_userdb_init(void) {}
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
#include <nss.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GETENT "/usr/bin/getent"

/* glibc's built-in "files" service only: nothing for libc.a to dlopen,
 * for every caller in the process (mruby-io's File.expand_path("~user")
 * calls getpwnam itself). */
static void files_only(void)
{
    static int done;
    if (!done) {
        __nss_configure_lookup("passwd", "files");
        __nss_configure_lookup("group", "files");
        __nss_configure_lookup("initgroups", "files");
        done = 1;
    }
}

void mcg_userdb_init(void)
{
    files_only();
}

/* `getent DB KEY`'s first line, in out, or NULL (not found, or no
 * getent).  Each database has its own buffer, as in glibc: a user looked
 * up stays valid across a group lookup. */
static char pw_buf[4096], gr_buf[65536], ig_buf[65536];

static char *getent(const char *db, const char *key, char *out, size_t size)
{
    int pfd[2];
    size_t len = 0;
    ssize_t n;
    int status;

    if (pipe2(pfd, O_CLOEXEC) < 0)
        return NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return NULL;
    }
    if (pid == 0) {
        char *const argv[] = { GETENT, (char *)db, (char *)key, NULL };
        char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
        int null = open("/dev/null", O_WRONLY);
        dup2(pfd[1], STDOUT_FILENO);
        if (null >= 0)
            dup2(null, STDERR_FILENO);
        execve(GETENT, argv, envp);
        _exit(127);
    }
    close(pfd[1]);
    while (len + 1 < size &&
           ((n = read(pfd[0], out + len, size - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    close(pfd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len == 0)
        return NULL;
    out[len] = '\0';
    out[strcspn(out, "\n")] = '\0';
    return out;
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
    static struct passwd pw;
    char *f[7], *end;
    if (!line || fields(line, f, 7) != 7)
        return NULL;
    pw = (struct passwd){ .pw_name = f[0], .pw_passwd = f[1], .pw_gecos = f[4],
                          .pw_dir = f[5], .pw_shell = f[6] };
    pw.pw_uid = (uid_t)strtoul(f[2], &end, 10);
    if (*end)
        return NULL;
    pw.pw_gid = (gid_t)strtoul(f[3], &end, 10);
    return *end ? NULL : &pw;
}

static struct group *group_from(char *line)
{
    static struct group gr;
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
    return &gr;
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
    files_only();
    struct passwd *pw = getpwnam(name);
    return pw ? pw : passwd_getent(name);
}

struct passwd *mcg_getpwuid(uid_t uid)
{
    char key[32];
    files_only();
    struct passwd *pw = getpwuid(uid);
    if (pw)
        return pw;
    snprintf(key, sizeof(key), "%lu", (unsigned long)uid);
    return passwd_getent(key);
}

struct group *mcg_getgrnam(const char *name)
{
    files_only();
    struct group *gr = getgrnam(name);
    return gr ? gr : group_getent(name);
}

struct group *mcg_getgrgid(gid_t gid)
{
    char key[32];
    files_only();
    struct group *gr = getgrgid(gid);
    if (gr)
        return gr;
    snprintf(key, sizeof(key), "%lu", (unsigned long)gid);
    return group_getent(key);
}

/* A user /etc/passwd knows gets its groups from /etc/group, as glibc's
 * files service gives them; any other, from `getent initgroups`. */
int mcg_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
    files_only();
    if (getpwnam(user))
        return getgrouplist(user, group, groups, ngroups);
    char *line = getent("initgroups", user, ig_buf, sizeof(ig_buf)), *save = NULL, *end;
    int n = 0, max = *ngroups;
    if (max > 0)
        groups[n] = group;
    n++;
    /* "USER   GID GID ..." */
    for (char *t = line ? strtok_r(line, " \t", &save) : NULL; t; t = strtok_r(NULL, " \t", &save)) {
        if (t == line)
            continue; /* the user name */
        gid_t g = (gid_t)strtoul(t, &end, 10);
        if (*end || g == group)
            continue;
        if (n < max)
            groups[n] = g;
        n++;
    }
    *ngroups = n;
    return n > max ? -1 : n;
}

#endif /* MCGEXEC_STATIC */
