/* Dropping root and exec'ing COMMAND.
 *
 * The order follows bubblewrap's drop_privs() and the rule every careful
 * setuid program keeps: supplementary groups first (only root may set
 * them), then the gid (only root, or the old gid, may set it), then the
 * uid, which ends the ability to do the first two.  Each step is read back,
 * and finally we try to become root again and insist that it fails.
 * Everything that needs the passwd and group databases happens earlier, in
 * mcg_parse_user(), before the policy has changed anything.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor/execute.h"
#include "base/userdb.h"

/* A decimal id, or -1. */
static long long parse_id(const char *s)
{
    char *end;
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    /* (uid_t)-1 means "unchanged" to the set*id calls: never an id */
    if (errno || *end || v >= UINT32_MAX)
        return -1;
    return (long long)v;
}

/* COMMAND's environment for --user: mcgexec's without the four variables
 * that name the user, then pw's (none without an entry). */
static char **user_environment(const struct passwd *pw, int *set)
{
    static const char *const names[] = { "HOME=", "USER=", "LOGNAME=", "SHELL=" };
    size_t n = 0, k = 0;

    while (environ && environ[n])
        n++;
    char **envp = calloc(n + 5, sizeof(*envp));
    if (!envp)
        abort();
    for (size_t i = 0; i < n; i++) {
        int drop = 0;
        for (size_t j = 0; j < 4 && !drop; j++)
            drop = strncmp(environ[i], names[j], strlen(names[j])) == 0;
        if (!drop)
            envp[k++] = environ[i];
    }
    if (pw) {
        const char *shell = pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh";
        if (asprintf(&envp[k++], "HOME=%s", pw->pw_dir ? pw->pw_dir : "/") < 0 ||
            asprintf(&envp[k++], "USER=%s", pw->pw_name) < 0 ||
            asprintf(&envp[k++], "LOGNAME=%s", pw->pw_name) < 0 ||
            asprintf(&envp[k++], "SHELL=%s", shell) < 0)
            abort();
        *set = 4;
    }
    envp[k] = NULL;
    return envp;
}

void mcg_creds_free(struct mcg_creds *cr)
{
    if (!cr->envp)
        return;
    /* the variables it set come last, after environ's own strings */
    size_t n = 0;
    while (cr->envp[n])
        n++;
    for (size_t i = n - (size_t)cr->envp_set; i < n; i++)
        free(cr->envp[i]);
    free(cr->envp);
    cr->envp = NULL;
}

int mcg_parse_user(const char *spec, struct mcg_creds *cr, struct mcg_error *err)
{
    char user[256];
    const char *colon = strchr(spec, ':');
    const char *group = colon ? colon + 1 : NULL;
    size_t ul = colon ? (size_t)(colon - spec) : strlen(spec);
    struct passwd *pw;
    long long id;

    cr->spec = spec;
    cr->drop = 1;
    if (ul == 0 || ul >= sizeof(user) || (group && !*group))
        return mcg_fail(err, "--user %s: expected USER or USER:GROUP", spec);
    memcpy(user, spec, ul);
    user[ul] = '\0';

    errno = 0;
    pw = mcg_getpwnam(user);
    if (!pw && (id = parse_id(user)) >= 0) {
        cr->uid = (uid_t)id;
        pw = mcg_getpwuid(cr->uid);
    } else if (!pw) {
        return errno && errno != ENOENT && errno != ESRCH
                   ? mcg_fail_errno(err, errno, "--user %s: cannot look up user", spec)
                   : mcg_fail(err, "--user %s: no such user", spec);
    } else {
        cr->uid = pw->pw_uid;
    }
    /* now, while pw is the one looked up */
    cr->envp_set = 0;
    cr->envp = user_environment(pw, &cr->envp_set);

    if (group) {
        struct group *gr = mcg_getgrnam(group);
        if (gr)
            cr->gid = gr->gr_gid;
        else if ((id = parse_id(group)) >= 0)
            cr->gid = (gid_t)id;
        else
            return mcg_fail(err, "--user %s: no such group '%s'", spec, group);
    } else if (pw) {
        cr->gid = pw->pw_gid;
    } else {
        return mcg_fail(err, "--user %s: uid %s has no passwd entry, so no primary group: "
                        "give one (--user %s:GID)", spec, user, user);
    }

    /* Only root can become someone else: say so before anything changes. */
    if (geteuid() != 0 && (cr->uid != getuid() || cr->uid != geteuid() ||
                           cr->gid != getgid() || cr->gid != getegid()))
        return mcg_fail(err, "--user %s: only root can run COMMAND as another user", spec);

    /* The user's groups from the group database, as login(1) would set
     * them; an id without a passwd entry gets none. */
    cr->ngroups = 0;
    if (pw) {
        int n = MCG_MAX_GROUPS;
        if (mcg_getgrouplist(pw->pw_name, cr->gid, cr->groups, &n) < 0)
            return mcg_fail(err, "--user %s: the user is in more than %d groups", spec,
                            MCG_MAX_GROUPS);
        cr->ngroups = n;
    }
    return 0;
}

static int same_groups(const gid_t *want, int nwant)
{
    gid_t have[MCG_MAX_GROUPS + 1];
    int n = getgroups(MCG_MAX_GROUPS + 1, have);

    if (n < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int j = 0; j < nwant && !found; j++)
            found = have[i] == want[j];
        if (!found)
            return 0;
    }
    for (int j = 0; j < nwant; j++) {
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = have[i] == want[j];
        if (!found)
            return 0;
    }
    return 1;
}

/* Capabilities survive setuid() when a securebit (SECBIT_KEEP_CAPS,
 * SECBIT_NO_SETUID_FIXUP) set by whoever started us says so: clear them
 * ourselves and check. */
static int clear_capabilities(void)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) < 0)
        return -1;
    if (syscall(SYS_capget, &hdr, data) < 0)
        return -1;
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        if (data[i].effective || data[i].permitted || data[i].inheritable) {
            errno = EPERM;
            return -1;
        }
    return 0;
}

static int drop_to(const struct mcg_creds *cr, struct mcg_error *err)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    if (geteuid() != 0) {
        /* Nothing to drop if we already are that user. */
        if (getuid() == cr->uid && geteuid() == cr->uid && getgid() == cr->gid &&
            getegid() == cr->gid)
            return 0;
        return mcg_fail(err, "--user %s: only root can run COMMAND as another user", cr->spec);
    }
    if (setgroups((size_t)cr->ngroups, cr->groups) < 0)
        return mcg_fail_errno(err, errno, "--user %s: setgroups", cr->spec);
    if (setresgid(cr->gid, cr->gid, cr->gid) < 0)
        return mcg_fail_errno(err, errno, "--user %s: setresgid(%u)", cr->spec,
                              (unsigned)cr->gid);
    if (setresuid(cr->uid, cr->uid, cr->uid) < 0)
        return mcg_fail_errno(err, errno, "--user %s: setresuid(%u)", cr->spec,
                              (unsigned)cr->uid);

    if (getresgid(&rg, &eg, &sg) < 0 || rg != cr->gid || eg != cr->gid || sg != cr->gid)
        return mcg_fail(err, "--user %s: the gid did not change to %u", cr->spec,
                        (unsigned)cr->gid);
    if (getresuid(&ru, &eu, &su) < 0 || ru != cr->uid || eu != cr->uid || su != cr->uid)
        return mcg_fail(err, "--user %s: the uid did not change to %u", cr->spec,
                        (unsigned)cr->uid);
    if (!same_groups(cr->groups, cr->ngroups))
        return mcg_fail(err, "--user %s: the supplementary groups did not change", cr->spec);
    if (cr->uid == 0)
        return 0;

    if (clear_capabilities() < 0)
        return mcg_fail_errno(err, errno, "--user %s: cannot clear capabilities", cr->spec);
    /* The proof: none of these may work for an unprivileged process. */
    if (setuid(0) == 0 || seteuid(0) == 0 ||
        (cr->gid != 0 && (setgid(0) == 0 || setegid(0) == 0)))
        return mcg_fail(err, "--user %s: root could be regained after dropping it; "
                        "not running COMMAND", cr->spec);
    return 0;
}

static int apply_creds(const struct mcg_creds *cr, struct mcg_error *err)
{
    if (cr->drop && drop_to(cr, err) < 0)
        return -1;
    /* After the drop, which would clear it.  A supervisor killed by
     * SIGKILL cannot end the job itself; the kernel ends its first
     * process (what it started is killed by whoever reclaims the groups:
     * mcgexec --gc, or the next run).  Where the supervisor is gone
     * already, the job does not start. */
    if (cr->die_with) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
            return mcg_fail_errno(err, errno, "prctl(PR_SET_PDEATHSIG)");
        if (getppid() != cr->die_with)
            return mcg_fail(err, "the supervisor (pid %d) is gone", (int)cr->die_with);
    }
    if (cr->no_new_privs) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            return mcg_fail_errno(err, errno, "--no-new-privs: prctl(PR_SET_NO_NEW_PRIVS)");
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
            return mcg_fail(err, "--no-new-privs: the flag did not stay set");
    }
    return 0;
}

static int exec_marker = -1; /* mcg_mark_exec's fd, in the child only */

void mcg_mark_exec(int fd)
{
    exec_marker = fd;
}

static void reach_exec(void)
{
    if (exec_marker >= 0 && write(exec_marker, "x", 1) < 0) {
        /* the parent then takes the child for dead before the exec */
    }
    exec_marker = -1;
}

/* execvp() without its /bin/sh fallback; returns the errno that failed. */
static int exec_no_shell(char *const *command, char *const *envp)
{
    const char *file = command[0];
    const char *path, *p;
    size_t fl = strlen(file);
    int eacces = 0;
    char buf[PATH_MAX];

    if (fl == 0)
        return ENOENT;
    reach_exec();
    if (strchr(file, '/')) {
        execve(file, command, envp);
        return errno;
    }
    path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin"; /* glibc's default, as execvp(3) uses */
    for (p = path;; p++) {
        const char *end = strchrnul(p, ':');
        size_t dl = (size_t)(end - p);
        if (dl + 1 + fl + 1 <= sizeof(buf)) {
            /* an empty entry is the current directory */
            if (dl) {
                memcpy(buf, p, dl);
                buf[dl++] = '/';
            }
            memcpy(buf + dl, file, fl + 1);
            execve(buf, command, envp);
            switch (errno) {
            case EACCES:
                eacces = 1;
                break;
            case ENOENT:
            case ENOTDIR:
            case ESTALE:
            case ENODEV:
            case ETIMEDOUT:
                break;
            default: /* ENOEXEC above all: execvp would hand it to /bin/sh */
                return errno;
            }
        }
        if (!*end)
            break;
        p = end;
    }
    return eacces ? EACCES : ENOENT;
}

int mcg_become_command(const struct mcg_creds *cr, char *const *command,
                       struct mcg_error *err)
{
    if (cr && apply_creds(cr, err) < 0)
        return MCG_EXIT_FAILURE;
    int e = exec_no_shell(command, cr && cr->envp ? cr->envp : environ);
    if (e == ENOEXEC)
        mcg_fail(err, "failed to execute %s: %s (no #! line? mcgexec never runs COMMAND "
                 "through a shell)", command[0], strerror(e));
    else
        mcg_fail_errno(err, e, "failed to execute %s", command[0]);
    return e == ENOENT ? MCG_EXIT_NOT_FOUND : MCG_EXIT_CANNOT_RUN;
}
