/* Unit tests of systemd's unit names as mcgexec makes and reads them
 * (src/base/unitname.h): each case an input and the exact expected result. */
#include <stdio.h>
#include <string.h>

#include "base/unitname.h"

#include "check.h"

static void slice_dir_is(const char *slice, const char *want)
{
    char got[256];
    int r = mcg_slice_dir(slice, got, sizeof(got));
    CHECK(r == 0 && strcmp(got, want) == 0, "slice dir of %s: want \"%s\", got r=%d \"%s\"", slice,
          want, r, got);
}

static void scope_is(const char *group, int pid, const char *want)
{
    char got[256];
    mcg_scope_name(group, pid, got, sizeof(got));
    CHECK(strcmp(got, want) == 0, "scope of \"%s\": want %s, got %s", group, want, got);
}

/* mcg_unit_of: want the unit's name, and its cgroup path (NULL: none) */
static void unit_is(const char *cgroup, const char *want, const char *want_cg)
{
    size_t end = 0;
    const char *u = mcg_unit_of(cgroup, &end);
    char got[256] = "", got_cg[256] = "";
    if (u) {
        snprintf(got, sizeof(got), "%.*s", (int)(cgroup + end - u), u);
        snprintf(got_cg, sizeof(got_cg), "%.*s", (int)end, cgroup);
    }
    CHECK(want ? u && strcmp(got, want) == 0 && strcmp(got_cg, want_cg) == 0 : !u,
          "unit of \"%s\": want %s (%s), got %s (%s)", cgroup, want ? want : "none",
          want_cg ? want_cg : "", u ? got : "none", got_cg);
}

int main(void)
{
    slice_dir_is("system.slice", "system.slice");
    slice_dir_is("-.slice", "");
    slice_dir_is("batch.slice", "batch.slice");
    slice_dir_is("batch-ci.slice", "batch.slice/batch-ci.slice");
    slice_dir_is("a-b-c.slice", "a.slice/a-b.slice/a-b-c.slice");
    char small[8];
    CHECK(mcg_slice_dir("a-b-c.slice", small, sizeof(small)) == -1, "a slice dir that does not fit");

    CHECK(mcg_valid_slice("system.slice"), "system.slice");
    CHECK(mcg_valid_slice("batch-ci.slice"), "batch-ci.slice");
    CHECK(mcg_valid_slice("user-1000.slice"), "user-1000.slice");
    CHECK(!mcg_valid_slice(".slice"), ".slice");
    CHECK(!mcg_valid_slice("system"), "no .slice");
    CHECK(!mcg_valid_slice("system.service"), "a service");
    CHECK(!mcg_valid_slice("a/b.slice"), "a slash");
    CHECK(!mcg_valid_slice("a b.slice"), "a blank");

    scope_is("web", 42, "mcgexec-web-42.scope");
    scope_is("/ci/job-7", 42, "mcgexec-ci-job-7-42.scope");
    scope_is("", 1, "mcgexec-group-1.scope");
    scope_is("/", 1, "mcgexec-group-1.scope");
    scope_is("caf\xc3\xa9 bar", 5, "mcgexec-caf___bar-5.scope");
    char long_group[300];
    memset(long_group, 'x', sizeof(long_group) - 1);
    long_group[sizeof(long_group) - 1] = '\0';
    char got[256];
    mcg_scope_name(long_group, 123, got, sizeof(got));
    CHECK(strlen(got) == strlen("mcgexec--123.scope") + 100, "a long group: %zu chars", strlen(got));

    unit_is("system.slice/app.service", "app.service", "system.slice/app.service");
    unit_is("app.service", "app.service", "app.service");
    unit_is("user.slice/user-1000.slice/session-3.scope", "session-3.scope",
            "user.slice/user-1000.slice/session-3.scope");
    unit_is("system.slice/app.service/mcgexec.42", "app.service", "system.slice/app.service");
    unit_is("system.slice/app.service/a/b", "app.service", "system.slice/app.service");
    unit_is("user.slice/user-1000.slice/user@1000.service/app.slice/x.scope/sub", "x.scope",
            "user.slice/user-1000.slice/user@1000.service/app.slice/x.scope");
    unit_is("system.slice", NULL, NULL);
    unit_is("", NULL, NULL);
    unit_is(".service", NULL, NULL);
    unit_is("system.slice/.scope/x", NULL, NULL);

    /* the unit's own program: its main or control process, or their child */
    CHECK(mcg_own_program(812, 1, 812, 0), "ExecStart=mcgexec: the main process");
    CHECK(mcg_own_program(900, 812, 812, 0), "ExecStart=sh -c 'mcgexec ...': a child of the main process");
    CHECK(mcg_own_program(901, 700, 0, 700), "a child of ExecStartPre='s control process");
    CHECK(mcg_own_program(700, 1, 812, 700), "the control process itself");
    CHECK(!mcg_own_program(950, 949, 812, 0), "a runner's job: the main process's grandchild");
    CHECK(!mcg_own_program(950, 949, 0, 0), "a service with no main or control process");
    CHECK(!mcg_own_program(950, 0, 0, 0), "no parent, no main: not the unit's program");
    CHECK(mcg_unit_kind_is("ci-runner.service", ".service"), "a service");
    CHECK(!mcg_unit_kind_is("x.scope", ".service"), "a scope is not a service");
    CHECK(!mcg_unit_kind_is(".service", ".service"), "no name");

    printf("test_unitname: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
