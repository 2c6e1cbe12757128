/* The last steps before COMMAND runs, in the process that becomes it:
 * dropping root (--user), PR_SET_NO_NEW_PRIVS (--no-new-privs), and the
 * exec itself, which never goes through a shell. */
#ifndef MCGEXEC_EXECUTE_H
#define MCGEXEC_EXECUTE_H

#include <sys/types.h>

#include "base/error.h"

#define MCG_MAX_GROUPS 256

struct mcg_creds {
    int drop;               /* --user was given */
    int no_new_privs;       /* --no-new-privs */
    const char *spec;       /* --user as typed, for messages */
    uid_t uid;
    gid_t gid;
    int ngroups;            /* supplementary groups, from the group database */
    gid_t groups[MCG_MAX_GROUPS];
    char **envp;            /* --user: COMMAND's environment, HOME, USER, LOGNAME
                               and SHELL the user's; NULL: mcgexec's own */
    int envp_set;           /* how many of envp's last entries are ours */
    pid_t die_with;         /* --rm: COMMAND is killed when this process (its
                               supervisor) dies, whatever kills it; 0: not */
};

/* Resolve --user USER[:GROUP] (names or numbers) while the databases are
 * still reachable and nothing has been changed, and make COMMAND's
 * environment: mcgexec's, with HOME, USER, LOGNAME and SHELL from USER's
 * passwd entry, as runuser -u and systemd-run --uid set them (an id
 * without an entry: none of the four); -1 with err naming USER. */
int mcg_parse_user(const char *spec, struct mcg_creds *cr, struct mcg_error *err);
/* What mcg_parse_user allocated. */
void mcg_creds_free(struct mcg_creds *cr);

/* In a child about to become COMMAND: write one byte to fd just before
 * the first execve, so that the parent can tell a child that died before
 * it (nothing read) from one that reached it. */
void mcg_mark_exec(int fd);

/* Become COMMAND: drop to cr's ids (supplementary groups, gid, uid, each
 * verified, then a check that root cannot be regained), set no_new_privs
 * if asked, and exec without execvp()'s /bin/sh fallback, so a file
 * without a #! line is an error (ENOEXEC), never a shell script.  Returns
 * only on failure: the exit status (125 for a failed drop, 127 not found,
 * 126 otherwise), with err saying what failed. */
int mcg_become_command(const struct mcg_creds *cr, char *const *command,
                       struct mcg_error *err);

#endif
