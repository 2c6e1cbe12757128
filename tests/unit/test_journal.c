/* Unit tests of the heart of "nothing half-applied", without root and
 * without a cgroup filesystem: the undo walk over a journal of every kind
 * of record, run against a model of the kernel (src/core/undo.c's system-call
 * table), both as mcg_rollback does it and as the signal guard's handler
 * does (the same order); join planning with nested, attached and
 * conflicting groups (on directories in a scratch tree); and the path
 * arithmetic of group names below --root self, a leaf, a delegated cgroup
 * and a scope. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/run.h"
#include "core/run-internal.h"
#include "core/cgroup-manager.h"

#include "check.h"

/* ---- a model of the kernel's cgroup filesystem ---------------------------
 * Directories, which process is in which, and a log of every operation
 * that succeeded.  rmdir fails with EBUSY while a process or a child is
 * inside, as the kernel's does; a directory can be made to refuse for
 * good (EPERM): a failure in the middle of the walk. */

#define MAXN 32

static struct {
    char dirs[MAXN][128];
    int ndirs;
    struct { int pid; char dir[128]; } procs[MAXN];
    int nprocs;
    char stuck[128];
    char log[MAXN * 2][160];
    int nlog;
} k;

static void k_reset(void)
{
    memset(&k, 0, sizeof(k));
}

static int k_find(const char *dir)
{
    for (int i = 0; i < k.ndirs; i++)
        if (strcmp(k.dirs[i], dir) == 0)
            return i;
    return -1;
}

static void k_mkdir(const char *dir)
{
    snprintf(k.dirs[k.ndirs++], sizeof(k.dirs[0]), "%s", dir);
}

static void k_put(int pid, const char *dir)
{
    for (int i = 0; i < k.nprocs; i++)
        if (k.procs[i].pid == pid) {
            snprintf(k.procs[i].dir, sizeof(k.procs[i].dir), "%s", dir);
            return;
        }
    k.procs[k.nprocs].pid = pid;
    snprintf(k.procs[k.nprocs++].dir, sizeof(k.procs[0].dir), "%s", dir);
}

static void k_log(const char *what, const char *a, const char *b)
{
    snprintf(k.log[k.nlog++], sizeof(k.log[0]), "%s %s%s%s", what, a, b ? " " : "", b ? b : "");
}

static int fake_rmdir(const char *dir)
{
    int i = k_find(dir);
    if (i < 0) {
        errno = ENOENT;
        return -1;
    }
    if (strcmp(dir, k.stuck) == 0) {
        errno = EPERM;
        return -1;
    }
    for (int p = 0; p < k.nprocs; p++)
        if (strcmp(k.procs[p].dir, dir) == 0) {
            errno = EBUSY;
            return -1;
        }
    for (int d = 0; d < k.ndirs; d++)
        if (d != i && mcg_path_within(k.dirs[d], dir)) {
            errno = EBUSY;
            return -1;
        }
    k_log("rmdir", dir, NULL);
    k.ndirs--;
    memmove(k.dirs[i], k.dirs[k.ndirs], sizeof(k.dirs[0]));
    return 0;
}

static int fake_write(const char *path, const char *value)
{
    char dir[128];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (k_find(dir) < 0) {
        errno = ENOENT;
        return -1;
    }
    if (strcmp(slash + 1, "cgroup.procs") == 0) {
        k_put(atoi(value), dir);
        k_log("move", value, dir);
    } else {
        k_log("write", path, value);
    }
    return 0;
}

static int fake_exists(const char *path)
{
    return k_find(path) >= 0;
}

/* ---- a run on the stack --------------------------------------------------- */

/* What mcg_run_new and mcg_run_free do, for a run the test owns. */
static void run_start(struct mcg_run *run, const struct mcg_run_opts *o)
{
    mcg_run_init(run, o);
    mcg_systemd_begin(run);
}

static void run_done(struct mcg_run *run)
{
    mcg_guard_forget(run);
    mcg_systemd_forget(run);
    mcg_run_clear(run);
}

/* ---- a run to walk ------------------------------------------------------- */

/* A cgroup v2 run as --root self leaves it in a service's cgroup /cg/svc:
 * mcgexec (pid 42) stepped into its leaf, taking the shell (77) along;
 * nested groups job and job/a made, memory enabled at two levels, and
 * another process (99) attached to job/a. */
static void v2_run(struct mcg_run *run)
{
    run_start(run, &(struct mcg_run_opts){ .root = "self" });
    run->pid = 42;
    run->pos.discovered = 1;
    run->pos.layout = MCG_LAYOUT_UNIFIED;
    for (int c = 0; c < MCG_NCTRL; c++) {
        mcg_set_path(&run->pos.hier[c].mount, "/cg");
        mcg_set_path(&run->pos.hier[c].orig, "svc");
        mcg_set_path(&run->pos.hier[c].base, "svc");
        mcg_set_path(&run->pos.hier[c].cur, "svc/mcgexec.42");
    }
}

static void push_moved(struct mcg_run *run, int pid, const char *from, int with_self)
{
    struct moved *m = malloc(sizeof(*m));
    *m = (struct moved){ MCG_MEMORY, pid, strdup(from), with_self };
    mcg_list_push(&run->journal.moved.any, m);
}

static void journal(struct mcg_run *run, const char *stuck)
{
    k_reset();
    for (const char *const *d = (const char *const[]){ "/cg", "/cg/svc", "/cg/other",
                                                        "/cg/svc/mcgexec.42", "/cg/svc/job",
                                                        "/cg/svc/job/a", NULL };
         *d; d++)
        k_mkdir(*d);
    k_put(42, "/cg/svc/mcgexec.42");
    k_put(77, "/cg/svc/mcgexec.42");
    k_put(99, "/cg/svc/job/a");
    snprintf(k.stuck, sizeof(k.stuck), "%s", stuck ? stuck : "");
    push_moved(run, 42, "/cg/svc", 0);
    push_moved(run, 77, "/cg/svc", 1);
    push_moved(run, 99, "/cg/other", 0);
    mcg_push_ref(&run->journal.created, MCG_MEMORY, "/cg/svc/mcgexec.42");
    mcg_push_ref(&run->journal.created, MCG_MEMORY, "/cg/svc/job");
    mcg_push_ref(&run->journal.created, MCG_MEMORY, "/cg/svc/job/a");
    mcg_push_ref(&run->journal.enabled, MCG_MEMORY, "/cg/svc");
    mcg_push_ref(&run->journal.enabled, MCG_MEMORY, "/cg/svc/job");
    run->pos.self_leaf = strdup("/cg/svc/mcgexec.42");
}

static void log_is(const char *what, const char *const *want)
{
    int n = 0;
    while (want[n])
        n++;
    int same = n == k.nlog;
    for (int i = 0; same && i < n; i++)
        same = strcmp(want[i], k.log[i]) == 0;
    CHECK(same, "%s: the walk's steps differ", what);
    if (!same)
        for (int i = 0; i < (n > k.nlog ? n : k.nlog); i++)
            fprintf(stderr, "  %-40s | %s\n", i < n ? want[i] : "", i < k.nlog ? k.log[i] : "");
}

static void test_undo_walk(void)
{
    /* the order: others home; groups that can go; controllers off;
     * mcgexec and what went with it home; the rest */
    static const char *const clean[] = {
        "move 99 /cg/other",
        "rmdir /cg/svc/job/a",
        "rmdir /cg/svc/job",
        "write /cg/svc/cgroup.subtree_control -memory",
        "move 77 /cg/svc",
        "move 42 /cg/svc",
        "rmdir /cg/svc/mcgexec.42",
        NULL,
    };
    /* job/a refuses (EPERM): job keeps a child and stays; the rest goes */
    static const char *const stuck[] = {
        "move 99 /cg/other",
        "write /cg/svc/job/cgroup.subtree_control -memory",
        "write /cg/svc/cgroup.subtree_control -memory",
        "move 77 /cg/svc",
        "move 42 /cg/svc",
        "rmdir /cg/svc/mcgexec.42",
        NULL,
    };
    struct mcg_run run;

    mcg_undo_sys = (struct mcg_undo_sys){ fake_rmdir, fake_write, fake_exists };
    for (int handler = 0; handler < 2; handler++) {
        const char *how = handler ? "the signal handler's walk" : "mcg_rollback";
        v2_run(&run);
        journal(&run, NULL);
        if (handler)
            mcg_undo_for_signal(&run);
        else
            mcg_rollback(&run);
        log_is(how, clean);
        run_done(&run);

        v2_run(&run);
        journal(&run, "/cg/svc/job/a");
        if (handler)
            mcg_undo_for_signal(&run);
        else
            mcg_rollback(&run); /* (warns on stderr of what stays) */
        log_is(handler ? "the handler's walk past a failure" : "mcg_rollback past a failure",
               stuck);
        CHECK(k_find("/cg/svc/job/a") >= 0 && k_find("/cg/svc/job") >= 0,
              "%s: what could not go is still there", how);
        run_done(&run);
    }

    /* in a scope this run started (systemd removes it, and all below it,
     * when mcgexec exits): the job's groups go, what went along with
     * mcgexec goes home, but the controllers stay on, and mcgexec stays in
     * its leaf, which stays too */
    static const char *const own_scope[] = {
        "move 99 /cg/other",
        "rmdir /cg/svc/job/a",
        "rmdir /cg/svc/job",
        "move 77 /cg/svc",
        NULL,
    };
    for (int handler = 0; handler < 2; handler++) {
        v2_run(&run);
        journal(&run, NULL);
        run.systemd.own_scope = strdup("/cg/svc");
        if (handler)
            mcg_undo_for_signal(&run);
        else
            mcg_rollback(&run);
        log_is(handler ? "the handler's walk in its own scope" : "mcg_rollback in its own scope",
               own_scope);
        run_done(&run);
    }

    /* nothing journalled: nothing done; a dry run's journal is never walked */
    v2_run(&run);
    k_reset();
    mcg_rollback(&run);
    CHECK(k.nlog == 0, "an empty journal: %d steps", k.nlog);
    run_done(&run);
    v2_run(&run);
    journal(&run, NULL);
    run.opt.dry_run = 1;
    k.nlog = 0;
    mcg_rollback(&run);
    CHECK(k.nlog == 0, "a dry run's journal: %d steps", k.nlog);
    run_done(&run);
}

/* ---- join planning ------------------------------------------------------- */

static char scratch[64];

static void mkdirs(const char *rel)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", scratch, rel);
    for (char *p = path + strlen(scratch) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    mkdir(path, 0755);
}

/* A v1 run whose hierarchies are directories of the scratch tree: cpu and
 * cpuacct co-mounted, memory and pids each their own; mcgexec at the root. */
static void v1_run(struct mcg_run *run, int supervised)
{
    static const char *const at[MCG_NCTRL] = {
        [MCG_CPU] = "cpu,cpuacct", [MCG_CPUACCT] = "cpu,cpuacct", [MCG_CPUSET] = "cpuset",
        [MCG_BLKIO] = "blkio", [MCG_MEMORY] = "memory", [MCG_PIDS] = "pids",
    };
    run_start(run, &(struct mcg_run_opts){ .supervised = supervised });
    run->pos.discovered = 1;
    run->pos.layout = MCG_LAYOUT_V1;
    run->manager = &mcg_cgroupfs_manager;
    for (int c = 0; c < MCG_NCTRL; c++) {
        char m[128];
        snprintf(m, sizeof(m), "%s/%s", scratch, at[c]);
        mkdirs(at[c]);
        mcg_set_path(&run->pos.hier[c].mount, m);
    }
}

static const char *joined(const struct mcg_run *run, enum mcg_ctrl c)
{
    return run->joins.join[c] ? run->joins.join[c]->dir + strlen(scratch) + 1 : "-";
}

static void test_join_planning(void)
{
    struct mcg_run run;
    struct mcg_error err = { 0 };
    char a[256], ab[256], x[256], y[256], g[256];

    snprintf(scratch, sizeof(scratch), "/tmp/mcgexec-journal-XXXXXX");
    CHECK(mkdtemp(scratch) != NULL, "mkdtemp: %s", strerror(errno));
    for (const char *const *d = (const char *const[]){ "memory/a/b", "pids/x", "pids/y",
                                                        "cpu,cpuacct/g", NULL };
         *d; d++)
        mkdirs(*d);
    snprintf(a, sizeof(a), "%s/memory/a", scratch);
    snprintf(ab, sizeof(ab), "%s/memory/a/b", scratch);
    snprintf(x, sizeof(x), "%s/pids/x", scratch);
    snprintf(y, sizeof(y), "%s/pids/y", scratch);
    snprintf(g, sizeof(g), "%s/cpu,cpuacct/g", scratch);

    /* nested: the deepest; co-mounted: one join, the job noted in both */
    v1_run(&run, 1);
    mcg_add_pending(&run, MCG_MEMORY, a);
    mcg_add_pending(&run, MCG_MEMORY, ab);
    mcg_add_pending(&run, MCG_CPU, g);
    mcg_add_pending(&run, MCG_CPUACCT, g);
    CHECK(mcg_plan_child_joins(&run, &err) == 0, "planning: %s", err.msg);
    CHECK(strcmp(joined(&run, MCG_MEMORY), "memory/a/b") == 0, "memory joins %s",
          joined(&run, MCG_MEMORY));
    CHECK(strcmp(joined(&run, MCG_CPU), "cpu,cpuacct/g") == 0 && !run.joins.join[MCG_CPUACCT],
          "co-mounted: cpu joins %s, cpuacct %s", joined(&run, MCG_CPU),
          joined(&run, MCG_CPUACCT));
    CHECK(strcmp(run.pos.hier[MCG_CPUACCT].job, "g") == 0 && strcmp(run.pos.hier[MCG_MEMORY].job, "a/b") == 0,
          "the job noted: cpuacct %s, memory %s", run.pos.hier[MCG_CPUACCT].job,
          run.pos.hier[MCG_MEMORY].job);
    CHECK(!run.joins.join[MCG_PIDS] && !run.pos.hier[MCG_PIDS].job[0], "pids: no group, no join");
    run_done(&run);

    /* supervised: the policy's attach of mcgexec is COMMAND's join, over
     * the deepest, and mcgexec itself does not move */
    v1_run(&run, 1);
    mcg_add_pending(&run, MCG_MEMORY, a);
    mcg_add_pending(&run, MCG_MEMORY, ab);
    CHECK(mcg_policy_attach(&run, MCG_MEMORY, a, run.pid, &err) == 0, "attach: %s", err.msg);
    CHECK(run.pos.hier[MCG_MEMORY].cur[0] == '\0', "the supervisor moved to %s",
          run.pos.hier[MCG_MEMORY].cur);
    CHECK(mcg_plan_child_joins(&run, &err) == 0, "planning: %s", err.msg);
    CHECK(strcmp(joined(&run, MCG_MEMORY), "memory/a") == 0, "attached: memory joins %s",
          joined(&run, MCG_MEMORY));
    char nope[256];
    snprintf(nope, sizeof(nope), "%s/memory/nope", scratch);
    CHECK(mcg_policy_attach(&run, MCG_MEMORY, nope, run.pid, &err) == -1 &&
              strstr(err.msg, "does not exist (call create first)"),
          "attach to a group never made: %s", err.msg);
    run_done(&run);

    /* two groups side by side in one hierarchy, neither attached: an error */
    v1_run(&run, 1);
    mcg_add_pending(&run, MCG_PIDS, x);
    mcg_add_pending(&run, MCG_PIDS, y);
    CHECK(mcg_plan_child_joins(&run, &err) == -1 &&
              strstr(err.msg, "in one hierarchy and attached to neither"),
          "conflicting groups: %s", err.msg);
    run_done(&run);

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    CHECK(system(cmd) == 0, "cleaning %s", scratch);
}

/* ---- path arithmetic ----------------------------------------------------- */

static void path_is(const struct mcg_hier *h, const char *name, const char *want)
{
    char dir[256];
    struct mcg_error err = { 0 };
    int r = mcg_group_path(h, name, dir, sizeof(dir), &err);
    CHECK(r == 0 && strcmp(dir, want) == 0, "group \"%s\" below \"%s\": want %s, got %s", name,
          h->base, want, r == 0 ? dir : err.msg);
}

static void test_paths(void)
{
    struct mcg_run run;
    char dir[256];

    CHECK(mcg_path_within("/cg/a/b", "/cg/a") && mcg_path_within("/cg/a", "/cg/a") &&
              !mcg_path_within("/cg/ab", "/cg/a"),
          "mcg_path_within");

    /* --root self in a service's cgroup, mcgexec in its leaf */
    v2_run(&run);
    path_is(&run.pos.hier[MCG_MEMORY], "job", "/cg/svc/job");
    path_is(&run.pos.hier[MCG_MEMORY], "/ci/job-7", "/cg/svc/ci/job-7");
    path_is(&run.pos.hier[MCG_MEMORY], "/", "/cg/svc");
    CHECK(strcmp(mcg_group_name_of(&run, MCG_MEMORY, "/cg/svc/ci/job-7"), "ci/job-7") == 0 &&
              strcmp(mcg_group_name_of(&run, MCG_MEMORY, "/cg/svc"), "/") == 0,
          "names given back");
    run.pos.self_leaf = strdup("/cg/svc/mcgexec.42");
    CHECK(mcg_at_own_place(&run, &run.pos.hier[MCG_MEMORY]), "the leaf is mcgexec's own place");
    CHECK(mcg_job_dir(&run, MCG_MEMORY, dir, sizeof(dir)) == -1,
          "no job yet: not the leaf (%s)", dir);
    mcg_note_job(&run, MCG_MEMORY, "/cg/svc/ci/job-7");
    CHECK(mcg_job_dir(&run, MCG_MEMORY, dir, sizeof(dir)) == 0 &&
              strcmp(dir, "/cg/svc/ci/job-7") == 0,
          "the job's group: %s", dir);
    run_done(&run);

    /* a delegated cgroup, mcgexec in a leaf a shell wrapper left: names
     * below the delegated cgroup, mcgexec where it is */
    v2_run(&run);
    for (int c = 0; c < MCG_NCTRL; c++) {
        mcg_set_path(&run.pos.hier[c].orig, "system.slice/app.service/mcgexec.5");
        mcg_set_path(&run.pos.hier[c].cur, "system.slice/app.service/mcgexec.5");
    }
    mcg_settle_below(&run, "system.slice/app.service", 0);
    path_is(&run.pos.hier[MCG_PIDS], "job", "/cg/system.slice/app.service/job");
    CHECK(strcmp(run.pos.hier[MCG_PIDS].cur, "system.slice/app.service/mcgexec.5") == 0 &&
              mcg_at_own_place(&run, &run.pos.hier[MCG_PIDS]),
          "delegated: mcgexec stays at %s", run.pos.hier[MCG_PIDS].cur);
    run_done(&run);

    /* a scope systemd moved mcgexec into */
    v2_run(&run);
    mcg_settle_below(&run, "system.slice/mcgexec-job-9.scope", 1);
    path_is(&run.pos.hier[MCG_CPU], "job", "/cg/system.slice/mcgexec-job-9.scope/job");
    CHECK(strcmp(run.pos.hier[MCG_CPU].orig, "system.slice/mcgexec-job-9.scope") == 0 &&
              strcmp(run.pos.hier[MCG_CPU].cur, run.pos.hier[MCG_CPU].orig) == 0,
          "scope: mcgexec in %s", run.pos.hier[MCG_CPU].cur);
    run_done(&run);

    /* no --root: names from the hierarchy's root */
    v2_run(&run);
    mcg_set_path(&run.pos.hier[MCG_MEMORY].base, "");
    path_is(&run.pos.hier[MCG_MEMORY], "job", "/cg/job");
    run_done(&run);
}

/* ---- threaded groups below another program's cgroup (src/core/groupfile.c) --- */

static void put_file(const char *dir, const char *file, const char *value)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "fopen %s: %s", path, strerror(errno));
    if (f) {
        fprintf(f, "%s\n", value);
        fclose(f);
    }
}

static void test_threaded(void)
{
    char tmp[64] = "/tmp/mcgexec-threaded-XXXXXX", task[128], job[160], other[160];
    struct mcg_run run;
    struct mcg_error err = { 0 };

    CHECK(mkdtemp(tmp) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(task, sizeof(task), "%s/task_0", tmp);
    snprintf(job, sizeof(job), "%s/jobB", task);
    snprintf(other, sizeof(other), "%s/other", task);
    mkdir(task, 0755);
    put_file(task, "memory.max", "max");
    put_file(task, "memory.high", "max");
    put_file(task, "memory.low", "209715200");

    run_start(&run, &(struct mcg_run_opts){ 0 });
    run.pos.layout = MCG_LAYOUT_UNIFIED;
    for (int c = 0; c < MCG_NCTRL; c++) {
        mcg_set_path(&run.pos.hier[c].mount, tmp);
        mcg_set_path(&run.pos.hier[c].base, "task_0");
    }
    CHECK(mcg_file_dir(&run, job, "memory.max") == job, "not threaded: a group's own file");
    CHECK(!mcg_owner_signals(&run), "not threaded: nobody else signals");
    mcg_thread_below(&run, task);
    CHECK(mcg_owner_signals(&run), "threaded: the owner signals");
    /* memory and io files of a group below are the domain's; the
     * threaded controllers' and cgroup's own are the group's */
    CHECK(mcg_file_dir(&run, job, "memory.max") == run.pos.thread_domain &&
              mcg_file_dir(&run, job, "io.max") == run.pos.thread_domain,
          "threaded: memory and io files are the domain's");
    CHECK(mcg_file_dir(&run, job, "cpu.max") == job &&
              mcg_file_dir(&run, job, "cpuset.cpus") == job &&
              mcg_file_dir(&run, job, "pids.max") == job &&
              mcg_file_dir(&run, job, "cgroup.procs") == job,
          "threaded: cpu, cpuset, pids and cgroup files are the group's");
    CHECK(mcg_file_dir(&run, task, "memory.max") == task &&
              mcg_file_dir(&run, "/elsewhere/g", "memory.max")[0] == '/' &&
              strcmp(mcg_file_dir(&run, "/elsewhere/g", "memory.max"), "/elsewhere/g") == 0,
          "the domain itself, and groups elsewhere, keep their files");
    CHECK(mcg_v2_threaded("cpu") && mcg_v2_threaded("pids") && !mcg_v2_threaded("memory") &&
              !mcg_v2_threaded("io"),
          "the threaded controllers");

    /* one group's, journalled once; a second group: refused; a value the
     * owner set: refused, naming it */
    CHECK(mcg_claim_domain_file(&run, job, "memory.max", "67108864", &err) == 0, "claim: %s", err.msg);
    CHECK(mcg_claim_domain_file(&run, job, "memory.max", "33554432", &err) == 0 && run.journal.saved.n == 1,
          "claimed twice, saved once (%zu)", run.journal.saved.n);
    CHECK(mcg_claim_domain_file(&run, other, "memory.high", "1048576", &err) < 0 &&
              strstr(err.msg, "memory.high of group other") &&
              strstr(err.msg, "for one group: group jobB has them"),
          "a second group: %s", err.msg);
    CHECK(mcg_claim_domain_file(&run, job, "memory.low", "1048576", &err) < 0 &&
              strstr(err.msg, "whose memory.low is 209715200 already"),
          "the owner's value: %s", err.msg);
    CHECK(mcg_claim_domain_file(&run, job, "io.max", "8:0 rbps=1", &err) < 0 &&
              strstr(err.msg, "which has no io.max"),
          "a controller the domain lacks: %s", err.msg);
    CHECK(run.journal.saved.n == 1, "refusals journal nothing (%zu)", run.journal.saved.n);
    /* an outer run's ceiling on the group mcgexec is in: lowered, never lifted */
    put_file(task, "memory.swap.max", "268435456");
    CHECK(mcg_claim_domain_file(&run, job, "memory.swap.max", "536870912", &err) < 0 &&
              strstr(err.msg, "whose memory.swap.max is 268435456 already") &&
              strstr(err.msg, "lowers but never lifts"),
          "a ceiling lifted: %s", err.msg);
    CHECK(mcg_claim_domain_file(&run, job, "memory.swap.max", "max", &err) < 0,
          "a ceiling lifted to max");
    CHECK(mcg_claim_domain_file(&run, job, "memory.swap.max", "134217728", &err) == 0 &&
              run.journal.saved.n == 2,
          "a ceiling lowered: %s", err.msg);
    put_file(task, "memory.high", "0");
    CHECK(mcg_claim_domain_file(&run, job, "memory.high", "1048576", &err) < 0 &&
              strstr(err.msg, "whose memory.high is 0 already"),
          "a ceiling of 0 is a limit, not the default: %s", err.msg);

    /* the undo: the group goes, the controller is off again, the file is
     * back as it was; the signal handler's walk the same */
    static const char *const undo[] = {
        "rmdir /t/task_0/jobB",
        "write /t/task_0/cgroup.subtree_control -cpu",
        "write /t/task_0/memory.max max",
        NULL,
    };
    mcg_undo_sys = (struct mcg_undo_sys){ fake_rmdir, fake_write, fake_exists };
    for (int handler = 0; handler < 2; handler++) {
        struct mcg_run u;
        run_start(&u, &(struct mcg_run_opts){ 0 });
        u.pos.layout = MCG_LAYOUT_UNIFIED;
        mcg_thread_below(&u, "/t/task_0");
        k_reset();
        k_mkdir("/t/task_0");
        k_mkdir("/t/task_0/jobB");
        mcg_push_ref(&u.journal.created, MCG_CPU, "/t/task_0/jobB");
        mcg_push_ref(&u.journal.enabled, MCG_CPU, "/t/task_0");
        struct saved_file *sv = malloc(sizeof(*sv));
        *sv = (struct saved_file){ strdup("memory.max"), strdup("max") };
        mcg_list_push(&u.journal.saved.any, sv);
        if (handler)
            mcg_undo_for_signal(&u);
        else
            mcg_rollback(&u);
        log_is(handler ? "the handler's walk, threaded" : "mcg_rollback, threaded", undo);
        CHECK(u.journal.saved.n == 0 || handler, "the journal is freed");
        run_done(&u);
    }
    run_done(&run);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "%s", cmd);
}

int main(void)
{
    test_undo_walk();
    test_join_planning();
    test_paths();
    test_threaded();
    printf("test_journal: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
