/* Where the cgroup hierarchies are mounted (/proc/self/mountinfo) and where
 * a process sits in them (/proc/PID/cgroup): the two files every run reads
 * once, parsed here so that the parsers can be tested on any host's text.
 *
 * mcgexec reads mountinfo itself rather than through libcgroup: 2.0.2's
 * cgroup_init() zeroes an 800 KiB mount table on every call, which was
 * 0.4 ms and 200 page faults of each launch (scripts/bench.sh).  The unit
 * test tests/unit/test_mounts.c checks this parser against libcgroup's
 * answer on the host it runs on.
 *
 * The files are read whole with read(2), not stdio: this is on the path of
 * every launch.  Results are allocated strings (NULL: not found), not
 * PATH_MAX buffers: a run touches a few hundred bytes instead of a page per
 * buffer.
 */
#ifndef MCGEXEC_MOUNTS_H
#define MCGEXEC_MOUNTS_H

#include <stddef.h>

struct mcg_mount {
    char *path;   /* the mount point; NULL when not found */
    char *root;   /* the cgroup mounted there: "/" normally, "/docker/x" in a
                     container given a subtree */
};

/* From the text of /proc/self/mountinfo (changed in place): fill v1[i]
 * with the first cgroup (v1) mount whose options name names[i] exactly
 * ("cpu" is not "cpuset"), preferring one of the whole hierarchy (root
 * "/"), and v2 with the first cgroup2 mount.  mcg_mount_free() each of
 * them afterwards. */
void mcg_find_mounts(char *mountinfo, const char *const *names, int n, struct mcg_mount *v1,
                     struct mcg_mount *v2);
void mcg_mount_free(struct mcg_mount *m);

/* From the text of /proc/PID/cgroup (changed in place): out[i] gets the
 * path of the v1 hierarchy that lists names[i] ("4:memory:/a/b"), *v2out
 * the "0::/a/b" one; each relative to the mount's root `roots[i]` /
 * `v2root` (NULL: "/") when it lies below it, without the leading '/' (""
 * is the root), allocated; NULL when the text has no such line. */
void mcg_parse_proc_cgroup(char *text, const char *const *names, int n, const char *const *roots,
                           char **out, const char *v2root, char **v2out);

/* `path` relative to the mount root `root`, allocated: "/a/b" under "/" is
 * "a/b", "/docker/x/y" under "/docker/x" is "y"; a path outside the root
 * is taken as relative to the mount's top, as libcgroup does. */
char *mcg_rel_to_root(const char *path, const char *root);

#endif
