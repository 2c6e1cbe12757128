/* Unit tests of the mountinfo and /proc/PID/cgroup parsers (src/base/mounts.c):
 * fixed texts from the layouts mcgexec meets, then this host's own files
 * against libcgroup's cgroup_get_subsys_mount_point(), the reference. */
#define _GNU_SOURCE
#include <libcgroup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "base/mounts.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

#include "check.h"

static const char *const names[] = { "cpu", "cpuacct", "cpuset", "blkio", "memory", "pids" };
#define N 6

struct found { struct mcg_mount v1[N], v2; };

static void find(const char *text, struct found *out)
{
    char *copy = strdup(text);
    mcg_find_mounts(copy, names, N, out->v1, &out->v2);
    free(copy);
}

#define S(x) ((x) ? (x) : "(none)")
#define EXPECT_MOUNT(m, p, r)                                                                \
    CHECK(strcmp(S((m).path), p) == 0 && strcmp(S((m).root), r) == 0,                        \
          "want %s (root %s), got '%s' (root '%s')", p, r, S((m).path), S((m).root))

static void found_free(struct found *f)
{
    for (int i = 0; i < N; i++)
        mcg_mount_free(&f->v1[i]);
    mcg_mount_free(&f->v2);
}

/* Debian 12 with systemd.unified_cgroup_hierarchy=0: v1 plus an empty
 * cgroup2 (hybrid); cpu and cpuacct co-mounted, cpuset named after cpu. */
static const char hybrid[] =
    "22 28 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "25 22 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
    "cgroup2 rw,nsdelegate\n"
    "27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup "
    "cgroup rw,xattr,name=systemd\n"
    "31 25 0:28 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:15 - cgroup "
    "cgroup rw,cpuset\n"
    "32 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "33 25 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup "
    "cgroup rw,memory\n"
    "34 25 0:31 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:18 - cgroup "
    "cgroup rw,blkio\n"
    "35 25 0:32 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:19 - cgroup "
    "cgroup rw,pids\n";

/* A unified host; no optional fields on one line, two on another. */
static const char unified[] =
    "24 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 master:1 - cgroup2 "
    "cgroup2 rw,nsdelegate,memory_recursiveprot\n"
    "30 1 0:25 / /mnt/other\\040cg rw - cgroup2 none rw\n";

/* A v1 container given its own subtree: the mount's root is the
 * container's group, and a bind mount of the whole hierarchy comes second. */
static const char container[] =
    "700 690 0:40 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"
    "701 690 0:41 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup "
    "rw,cpuacct,cpu\n"
    "702 690 0:40 / /host/memory\\040dir rw - cgroup cgroup rw,memory\n"
    "703 690 0:99 / /weird rw - cgroup cgroup rw,cpusetx,noprefix,release_agent=/x\n"
    "broken line\n"
    "704 690 0:98 / /no-separator rw cgroup cgroup rw,pids\n";

static void test_mountinfo(void)
{
    struct found f;

    find(hybrid, &f);
    EXPECT_MOUNT(f.v1[0], "/sys/fs/cgroup/cpu,cpuacct", "/");
    EXPECT_MOUNT(f.v1[1], "/sys/fs/cgroup/cpu,cpuacct", "/");
    EXPECT_MOUNT(f.v1[2], "/sys/fs/cgroup/cpuset", "/");
    EXPECT_MOUNT(f.v1[3], "/sys/fs/cgroup/blkio", "/");
    EXPECT_MOUNT(f.v1[4], "/sys/fs/cgroup/memory", "/");
    EXPECT_MOUNT(f.v1[5], "/sys/fs/cgroup/pids", "/");
    EXPECT_MOUNT(f.v2, "/sys/fs/cgroup/unified", "/");

    found_free(&f);
    find(unified, &f);
    for (int i = 0; i < N; i++)
        EXPECT_MOUNT(f.v1[i], "(none)", "(none)");
    EXPECT_MOUNT(f.v2, "/sys/fs/cgroup", "/");

    found_free(&f);
    find(container, &f);
    EXPECT_MOUNT(f.v1[4], "/host/memory dir", "/");   /* the whole hierarchy wins */
    EXPECT_MOUNT(f.v1[0], "/sys/fs/cgroup/cpu,cpuacct", "/docker/abc");
    EXPECT_MOUNT(f.v1[1], "/sys/fs/cgroup/cpu,cpuacct", "/docker/abc");
    EXPECT_MOUNT(f.v1[2], "(none)", "(none)");         /* "cpusetx" is not cpuset */
    EXPECT_MOUNT(f.v1[5], "(none)", "(none)");         /* no " - " separator */
    EXPECT_MOUNT(f.v2, "(none)", "(none)");
    found_free(&f);

    find("", &f);
    EXPECT_MOUNT(f.v1[0], "(none)", "(none)");
    found_free(&f);
}

static void test_proc_cgroup(void)
{
    const char text[] =
        "12:pids:/user.slice/a\n"
        "9:cpu,cpuacct:/docker/abc/job:with:colons\n"
        "5:memory:/docker/abc\n"
        "4:cpuset:/\n"
        "1:name=systemd:/init.scope\n"
        "0::/user.slice/user-0.slice/session-1.scope\n";
    const char *roots[N] = { "/docker/abc", "/docker/abc", "/", "/", "/docker/abc/", "/" };
    char *out[N], *v2, *copy = strdup(text);

    mcg_parse_proc_cgroup(copy, names, N, roots, out, "/user.slice", &v2);
    free(copy);
    CHECK(out[0] && strcmp(out[0], "job:with:colons") == 0, "cpu: '%s'", S(out[0]));
    CHECK(out[1] && strcmp(out[1], "job:with:colons") == 0, "cpuacct: '%s'", S(out[1]));
    CHECK(out[2] && strcmp(out[2], "") == 0, "cpuset: '%s'", S(out[2]));
    CHECK(!out[3], "blkio is not listed");
    CHECK(out[4] && strcmp(out[4], "") == 0, "memory at the container's root: '%s'", S(out[4]));
    CHECK(out[5] && strcmp(out[5], "user.slice/a") == 0, "pids: '%s'", S(out[5]));
    CHECK(v2 && strcmp(v2, "user-0.slice/session-1.scope") == 0, "v2: '%s'", S(v2));
    for (int i = 0; i < N; i++)
        free(out[i]);
    free(v2);

    static const char *const rel_cases[][3] = {
        { "/a/b/", "/", "a/b" },
        { "/docker/abcd/x", "/docker/abc", "docker/abcd/x" }, /* a sibling with a longer name */
        { "/", "/", "" },
        { "/docker/abc", "/docker/abc/", "" },
    };
    for (size_t i = 0; i < sizeof(rel_cases) / sizeof(rel_cases[0]); i++) {
        char *rel = mcg_rel_to_root(rel_cases[i][0], rel_cases[i][1]);
        CHECK(strcmp(rel, rel_cases[i][2]) == 0, "%s under %s: want '%s', got '%s'",
              rel_cases[i][0], rel_cases[i][1], rel_cases[i][2], rel);
        free(rel);
    }
}

/* This host: every controller libcgroup finds on a real v1 mount, mcgexec
 * finds at the same place, and no other. */
static int test_host(void)
{
    struct found f;
    static char text[1 << 20];
    FILE *mi = fopen("/proc/self/mountinfo", "re");

    if (!mi)
        return 0;
    text[fread(text, 1, sizeof(text) - 1, mi)] = '\0';
    fclose(mi);
    mcg_find_mounts(text, names, N, f.v1, &f.v2);
    int ret = cgroup_init(), compared = 0;
    if (ret && ret != ECGROUPNOTMOUNTED) {
        fprintf(stderr, "test_mounts: libcgroup cannot read this host's mounts (%s)\n",
                cgroup_strerror(ret));
        found_free(&f);
        return 0;
    }
    for (int i = 0; i < N; i++) {
        char *mp = NULL;
        struct statfs s;
        /* 2.0.2 names the cgroup2 mount for controllers it does not find */
        int v1 = ret == 0 && cgroup_get_subsys_mount_point(names[i], &mp) == 0 && mp &&
                 statfs(mp, &s) == 0 && s.f_type == CGROUP_SUPER_MAGIC;
        CHECK(v1 ? f.v1[i].path && strcmp(f.v1[i].path, mp) == 0 : !f.v1[i].path,
              "%s: libcgroup says %s, mcgexec found '%s'", names[i], v1 ? mp : "none",
              S(f.v1[i].path));
        compared += v1;
        free(mp);
    }
    printf("test_mounts: %d v1 controllers on this host, each where libcgroup finds it\n",
           compared);
    found_free(&f);
    return compared;
}

int main(void)
{
    test_mountinfo();
    test_proc_cgroup();
    test_host();
    printf("test_mounts: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
