/* The policy file: read it, and as root, refuse one that somebody else
 * could have written (as sudo does with sudoers and OpenSSH with
 * authorized_keys).
 *
 * The checks run on the descriptor that is read: the file is opened first,
 * its resolved path is then checked directory by directory, and the path
 * must still name the opened file, so that swapping the file between the
 * check and the read is caught.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policyfile.h"
#include "base/userdb.h"

static const char *owner_name(uid_t uid)
{
    struct passwd *pw = mcg_getpwuid(uid);
    return pw ? pw->pw_name : "no passwd entry";
}

/* The caller: the real uid, or under sudo the user who ran sudo.  The
 * checks keep third parties from changing what root (or a user) runs; a
 * policy of the person who ran `sudo mcgexec` is that person's to change
 * anyway (and whoever can set SUDO_UID for a root process has root
 * already). */
static int is_caller(uid_t uid)
{
    const char *sudo = getenv("SUDO_UID");
    char *end;

    if (uid == getuid())
        return 1;
    if (getuid() != 0 || !sudo || !*sudo)
        return 0;
    errno = 0;
    unsigned long v = strtoul(sudo, &end, 10);
    return !errno && !*end && (uid_t)v == uid;
}

/* Group write is harmless when the group is the owner's private group
 * (Debian's user private groups, umask 002): the owner's primary group,
 * with no member but the owner.  OpenSSH on Debian allows the same. */
static int private_group(const struct stat *st)
{
    struct passwd *pw = mcg_getpwuid(st->st_uid);
    struct group *gr;

    if (!pw || pw->pw_gid != st->st_gid || !(gr = mcg_getgrgid(st->st_gid)))
        return 0;
    for (char **m = gr->gr_mem; *m; m++)
        if (strcmp(*m, pw->pw_name) != 0)
            return 0;
    return 1;
}

/* Owned by someone we trust?  `what` is "policy X" or "directory D above
 * policy X". */
static int check_owner(const struct stat *st, const char *what, const char *path,
                       struct mcg_error *err)
{
    if (st->st_uid != 0 && !is_caller(st->st_uid)) {
        if (geteuid() == 0)
            return mcg_fail(err, "%s is owned by uid %u (%s), not by root: as root, mcgexec "
                            "runs only policies root controls (chown root %s)", what,
                            (unsigned)st->st_uid, owner_name(st->st_uid), path);
        return mcg_fail(err, "%s is owned by uid %u (%s), not by you (uid %u) nor root: mcgexec "
                        "runs only policies you or root control (copy it to a directory of "
                        "yours)", what, (unsigned)st->st_uid, owner_name(st->st_uid),
                        (unsigned)getuid());
    }
    return 0;
}

/* Owned and writable only by someone we trust? */
static int check_one(const struct stat *st, const char *what, const char *path,
                     struct mcg_error *err)
{
    if (check_owner(st, what, path, err) < 0)
        return -1;
    /* The sticky bit stops others from renaming or removing entries they
     * do not own, so a world-writable /tmp cannot swap root's files. */
    int sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);
    if (((st->st_mode & S_IWOTH) || ((st->st_mode & S_IWGRP) && !private_group(st))) &&
        !sticky_dir)
        return mcg_fail(err, "%s is writable by group or others: %smcgexec runs only "
                        "policies no one else can change (chmod go-w %s)", what,
                        geteuid() == 0 ? "as root, " : "", path);
    return 0;
}

static int check_trusted(const struct stat *st, const char *path, struct mcg_error *err)
{
    char real[PATH_MAX], desc[2 * PATH_MAX + 32], what[3 * PATH_MAX + 64];
    struct stat now;

    /* A pipe or a terminal (mcgexec <(...), /dev/stdin) comes from the
     * caller's own descriptors; only its owner says anything. */
    if (!S_ISREG(st->st_mode)) {
        snprintf(what, sizeof(what), "policy %s", path);
        return check_owner(st, what, path, err);
    }
    if (!realpath(path, real))
        return mcg_fail_errno(err, errno, "cannot resolve policy %s", path);
    if (stat(real, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino)
        return mcg_fail(err, "policy %s changed while it was being checked", path);
    /* the file the checks are about; a link says where it came from */
    struct stat lst;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
        snprintf(desc, sizeof(desc), "%s (the target of %s)", real, path);
    else
        snprintf(desc, sizeof(desc), "%s", real);
    snprintf(what, sizeof(what), "policy %s", desc);
    if (check_one(st, what, real, err) < 0)
        return -1;

    /* every directory from the file's up to / */
    for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
        if (slash == real)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (stat(real, &now) < 0)
            return mcg_fail_errno(err, errno, "cannot check directory %s above policy %s",
                                  real, path);
        snprintf(what, sizeof(what), "directory %s above policy %s", real, desc);
        if (check_one(&now, what, real, err) < 0)
            return -1;
        if (slash == real)
            break;
    }
    return 0;
}

char *mcg_read_policy(const char *path, size_t *len, struct mcg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (fd < 0) {
        mcg_fail_errno(err, errno, "cannot read policy %s", path);
        return NULL;
    }
    int e = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e) {
        close(fd);
        mcg_fail_errno(err, e, "cannot read policy %s", path);
        return NULL;
    }
    /* (root's and a user's alike: a policy is code that runs as them) */
    if (check_trusted(&st, path, err) < 0) {
        close(fd);
        return NULL;
    }
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb)
                abort();
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            e = errno;
            free(buf);
            close(fd);
            mcg_fail_errno(err, e, "cannot read policy %s", path);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}
