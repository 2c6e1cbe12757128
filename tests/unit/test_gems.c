#define _GNU_SOURCE
/* mruby's gems load on first use (src/gems.c); a policy must not be able
 * to tell.  This test holds a VM whose gems loaded on first use to one
 * whose gems loaded at start-up (as mrb_open() does):
 *  1. structure: once loaded, the two hold the same methods (the same C
 *     function or compiled Ruby behind each), constants, ancestors and
 *     global variables;
 *  2. what loading replaces: every core method that differs before and
 *     after the load is one src/gems.c stands in for or lists as the same
 *     before the load, and no other;
 *  3. probes: Ruby expressions, each in a fresh pair of VMs, give the same
 *     result (or the same exception and message) in both, and load the
 *     gems exactly when expected. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mruby.h>
#include <mruby/class.h>
#include <mruby/gc.h>
#include <mruby/irep.h>
#include <mruby/proc.h>
#include <mruby/string.h>
#include <mruby/variable.h>

#include "cgroupfs.h"
#include "gems.h"
#include "policy.h"

#include "check.h"

/* ---- VMs ----------------------------------------------------------------- */

struct vm { mrb_state *mrb; struct mcg_run run; };

static void vm_open(struct vm *v, int eager)
{
    static char *const command[] = { "true", NULL };
    struct mcg_error err = { 0 };
    mcg_policy_gems_eager = eager;
    mcg_run_init(&v->run, 1, 0, NULL);
    v->mrb = mcg_policy_open(&v->run, "probe.rb", command, &err);
    if (!v->mrb) {
        fprintf(stderr, "cannot open a VM: %s\n", err.msg);
        exit(2);
    }
}

static void vm_close(struct vm *v)
{
    mcg_policy_close(v->mrb);
    mcg_rollback(&v->run);
    mcg_run_free(&v->run);
}

/* ---- snapshots: one sorted line per method, constant, ancestry, global -- */

struct snap { char **lines; size_t n, cap; };

static void add(struct snap *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct snap *s, const char *fmt, ...)
{
    va_list ap;
    char *line;
    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0)
        abort();
    va_end(ap);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->lines = realloc(s->lines, s->cap * sizeof(*s->lines));
    }
    s->lines[s->n++] = line;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void snap_free(struct snap *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->lines[i]);
    free(s->lines);
    *s = (struct snap){ 0 };
}

/* A class's name; singleton classes of named classes and of main too. */
static const char *name_of(mrb_state *mrb, struct RClass *c, char *buf, size_t len)
{
    if (c->tt == MRB_TT_SCLASS) {
        mrb_value a = mrb_iv_get(mrb, mrb_obj_value(c), mrb_intern_lit(mrb, "__attached__"));
        if (mrb_type(a) == MRB_TT_CLASS || mrb_type(a) == MRB_TT_MODULE) {
            const char *n = mrb_class_name(mrb, mrb_class_ptr(a));
            snprintf(buf, len, "#<%s>", n ? n : "?");
            return n ? buf : NULL;
        }
        if (mrb_obj_ptr(a) == mrb_obj_ptr(mrb_top_self(mrb)))
            return "#<main>";
        return NULL;
    }
    const char *n = mrb_class_name(mrb, c);
    if (!n)
        return NULL;
    snprintf(buf, len, "%s", n);
    return buf;
}

/* What a method is: the C function, or the compiled Ruby behind it.  Both
 * are the same in two VMs of one process (mrblib code stays in libmruby's
 * static data). */
static const void *method_id(mrb_method_t m)
{
    if (MRB_METHOD_UNDEF_P(m))
        return NULL;
    if (MRB_METHOD_FUNC_P(m))
        return (const void *)MRB_METHOD_FUNC(m);
    const struct RProc *p = MRB_METHOD_PROC(m);
    return MRB_PROC_CFUNC_P(p) ? (const void *)MRB_PROC_CFUNC(p) : (const void *)p->body.irep->iseq;
}

struct walk { struct snap *s; const char *cls; int portable; };

static int add_method(mrb_state *mrb, mrb_sym sym, mrb_method_t m, void *p)
{
    struct walk *w = p;
    add(w->s, "M %s#%s %p", w->cls, mrb_sym_name(mrb, sym), method_id(m));
    return 0;
}

/* A constant's value: itself within one VM; across VMs, what it is. */
static void value_id(mrb_state *mrb, mrb_value v, int portable, char *buf, size_t len)
{
    if (!portable) {
        snprintf(buf, len, "%p", mrb_immediate_p(v) ? (void *)(uintptr_t)mrb_type(v)
                                                    : (void *)mrb_obj_ptr(v));
        return;
    }
    if (mrb_type(v) == MRB_TT_CLASS || mrb_type(v) == MRB_TT_MODULE) {
        const char *n = mrb_class_name(mrb, mrb_class_ptr(v));
        snprintf(buf, len, "class %s", n ? n : "?");
    } else if (mrb_immediate_p(v) || mrb_string_p(v)) {
        mrb_value s = mrb_inspect(mrb, v);
        snprintf(buf, len, "%s", RSTRING_CSTR(mrb, s));
    } else {
        snprintf(buf, len, "a %s", mrb_obj_classname(mrb, v));
    }
}

static int add_const(mrb_state *mrb, mrb_sym sym, mrb_value v, void *p)
{
    struct walk *w = p;
    const char *n = mrb_sym_name(mrb, sym);
    char id[256];
    if (n[0] < 'A' || n[0] > 'Z')
        return 0; /* class ivars such as __classname__ */
    value_id(mrb, v, w->portable, id, sizeof(id));
    add(w->s, "C %s::%s %s", w->cls, n, id);
    return 0;
}

static int add_global(mrb_state *mrb, mrb_sym sym, mrb_value v, void *p)
{
    struct walk *w = p;
    add(w->s, "G %s %s", mrb_sym_name(mrb, sym), mrb_nil_p(v) ? "nil" : mrb_obj_classname(mrb, v));
    return 0;
}

struct classes { struct RClass **c; size_t n, cap; };

static int collect(mrb_state *mrb, struct RBasic *o, void *p)
{
    struct classes *cl = p;
    (void)mrb;
    if (o->tt == MRB_TT_CLASS || o->tt == MRB_TT_MODULE || o->tt == MRB_TT_SCLASS) {
        if (cl->n == cl->cap) {
            cl->cap = cl->cap ? 2 * cl->cap : 512;
            cl->c = realloc(cl->c, cl->cap * sizeof(*cl->c));
        }
        cl->c[cl->n++] = (struct RClass *)o;
    }
    return MRB_EACH_OBJ_OK;
}

static void take(mrb_state *mrb, struct snap *s, int portable)
{
    struct classes cl = { 0 };
    mrb_objspace_each_objects(mrb, collect, &cl);
    for (size_t i = 0; i < cl.n; i++) {
        int ai = mrb_gc_arena_save(mrb);
        char name[512], anc[4096] = "", other[512];
        struct walk w = { s, name_of(mrb, cl.c[i], name, sizeof(name)), portable };
        if (w.cls) {
            mrb_mt_foreach(mrb, cl.c[i], add_method, &w);
            if (cl.c[i]->tt != MRB_TT_SCLASS)
                mrb_iv_foreach(mrb, mrb_obj_value(cl.c[i]), add_const, &w);
            for (struct RClass *a = cl.c[i]->super; a; a = a->super) {
                const char *an = name_of(mrb, a->tt == MRB_TT_ICLASS ? a->c : a, other,
                                         sizeof(other));
                if (an && strlen(anc) + strlen(an) + 2 < sizeof(anc)) {
                    strcat(anc, an);
                    strcat(anc, " ");
                }
            }
            add(s, "A %s < %s", w.cls, anc);
        }
        mrb_gc_arena_restore(mrb, ai);
    }
    free(cl.c);
    /* the globals: mrb->globals, walked through a scratch object */
    struct RObject *o = (struct RObject *)mrb_obj_ptr(mrb_obj_new(mrb, mrb->object_class, 0, NULL));
    struct iv_tbl *own = o->iv;
    struct walk w = { s, "", portable };
    o->iv = mrb->globals;
    mrb_iv_foreach(mrb, mrb_obj_value(o), add_global, &w);
    o->iv = own;
    qsort(s->lines, s->n, sizeof(*s->lines), cmp_lines);
}

/* "M Integer#/ 0x..." -> "M Integer#/" */
static size_t key_len(const char *line)
{
    const char *sp = strrchr(line, ' ');
    return line[0] == 'M' || line[0] == 'C' ? (size_t)(sp - line) : strlen(line);
}

static const char *find_key(const struct snap *s, const char *line)
{
    size_t k = key_len(line);
    for (size_t i = 0; i < s->n; i++)
        if (key_len(s->lines[i]) == k && strncmp(s->lines[i], line, k) == 0)
            return s->lines[i];
    return NULL;
}

/* ---- 1 and 2: structure -------------------------------------------------- */

static int stands_in(const char *line)
{
    static const char *const hooks[] = { "Kernel#method_missing", "Module#const_missing",
                                         "Kernel#respond_to?", "Module#method_defined?",
                                         "Module#const_defined?" };
    char key[256];
    for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
        snprintf(key, sizeof(key), "M %s ", hooks[i]);
        if (strncmp(line, key, strlen(key)) == 0)
            return 1;
    }
    for (int i = 0; i < mcg_ngem_overrides; i++) {
        snprintf(key, sizeof(key), "M %s#%s ", mcg_gem_overrides[i].owner,
                 mcg_gem_overrides[i].name);
        if (strncmp(line, key, strlen(key)) == 0)
            return 1;
    }
    return 0;
}

static void test_structure(void)
{
    struct vm lazy, eager;
    struct snap before = { 0 }, after = { 0 }, lz = { 0 }, eg = { 0 };

    vm_open(&lazy, 0);
    take(lazy.mrb, &before, 0);
    CHECK(mcg_gems_load(lazy.mrb, "the test") == 1, "the gems were not deferred at start-up");
    CHECK(mcg_gems_load(lazy.mrb, "the test") == 0, "the gems loaded twice");
    take(lazy.mrb, &after, 0);

    /* 2: what the load replaced is what src/gems.c knows about */
    int changed = 0;
    for (size_t i = 0; i < before.n; i++) {
        const char *now = find_key(&after, before.lines[i]);
        if (before.lines[i][0] == 'A' || before.lines[i][0] == 'G') {
            CHECK(now != NULL, "changed by loading the gems: %s", before.lines[i]);
            continue;
        }
        CHECK(now != NULL, "gone after loading the gems: %s", before.lines[i]);
        if (now && strcmp(now, before.lines[i]) != 0) {
            changed++;
            CHECK(stands_in(before.lines[i]),
                  "a gem replaces a core method src/gems.c does not know about: %.*s "
                  "(add it to mcg_gem_overrides)", (int)key_len(before.lines[i]), before.lines[i]);
        }
    }
    CHECK(changed == 5 + mcg_ngem_overrides,
          "%d core methods changed on load, src/gems.c lists %d: a stale entry or a hook "
          "with no core method behind it", changed, 5 + mcg_ngem_overrides);

    /* 1: loaded late, the VM is the one loaded at start-up */
    vm_open(&eager, 1);
    take(eager.mrb, &eg, 1);
    take(lazy.mrb, &lz, 1);
    for (size_t i = 0, j = 0; i < lz.n || j < eg.n;) {
        int c = i == lz.n ? 1 : j == eg.n ? -1 : strcmp(lz.lines[i], eg.lines[j]);
        CHECK(c == 0, "%s %s", c < 0 ? "only when loaded on first use:" : "only when loaded at "
              "start-up:", c < 0 ? lz.lines[i] : eg.lines[j]);
        i += c <= 0;
        j += c >= 0;
    }
    fprintf(stderr, "test_gems: %zu definitions before the load, %zu after, %d methods replaced\n",
           before.n, after.n, changed);
    snap_free(&before);
    snap_free(&after);
    snap_free(&lz);
    snap_free(&eg);
    vm_close(&lazy);
    vm_close(&eager);
}

/* ---- 3: probes ----------------------------------------------------------- */

struct probe { const char *code; int loads; };

static const struct probe probes[] = {
    /* core and mcgexec's API alone */
    { "1 + 2 * 3", 0 },
    { "7 / 2", 0 },
    { "7.0 / 2", 0 },
    { "7 / 2.0", 0 },
    { "7.0.quo(2)", 0 },
    { "1 / 0", 0 },
    { "[3, 1, 2].sort.first", 0 },
    { "x = 0; [1, 2, 3].each { |i| x += i }; x", 0 },
    { "{ a: 1 }.map { |k, v| [k, v] }", 0 },
    { "(1..4).each { |i| i }.to_a", 0 },
    { "\"a-b\".split(\"-\")", 0 },
    { "loop { break 5 }", 0 },
    { "ENV.class", 0 },
    { ":a < :b", 0 },
    { "Symbol.ancestors.include?(Comparable)", 0 },
    { "Object.const_defined?(:String)", 0 },
    { "String.method_defined?(:upcase)", 0 },
    { "\"x\".respond_to?(:upcase)", 0 },
    { "instance_eval { 1 + 1 }", 0 },
    { "Object.class_eval { 2 }", 0 },
    { "Cgroup::CPU.new(\"web\").group_name", 0 },
    { "Cgroup::MEMORY.new(\"web\").respond_to?(:limit_in_bytes=)", 0 },
    { "class Foo; def method_missing(n, *a); n == :zz ? 42 : super; end; end; Foo.new.zz", 0 },
    { "Mcgexec.percent_quota(\"50%\", 100000)", 0 },
    /* each way of first needing a gem */
    { "\"ab\".ljust(4, \"-\")", 1 },
    { "def f(a, b); x = [a, b]; y = \"s\".ljust(3); [a, b, x, y]; end; f(1, 2)", 1 },
    { "[1, 2].map { |v| v.to_s.rjust(3) }", 1 },
    { "7.quo(2)", 1 },
    { "1.quo(0)", 1 },
    { "[1, 2, 3].index { |x| x == 2 }", 1 },
    { "[1, 2, 3].index(2)", 1 },
    { "(1..5).first(2)", 1 },
    { "[1, nil].any?", 1 },
    { "[1, 2].all?(Integer)", 1 },
    { "[1, 2].each.next", 1 },
    { "Time.at(0).utc.year", 1 },
    { "Object.const_defined?(:Time)", 1 },
    { "String.method_defined?(:ljust)", 1 },
    { "\"x\".respond_to?(:ljust)", 1 },
    { "Kernel.respond_to?(:rand, true)", 1 },
    { "Kernel.respond_to?(:format, true)", 0 }, /* a stand-in until the gems load */
    { "p(a: 1)", 1 },
    { "format(a: 1)", 1 },
    { "sprintf(\"%s\", a: 1)", 1 },
    { "group \"g\", memory: \"1G\"; 1", 0 },
    { "ENV.class", 0 },
    { "$stdout.class", 1 },
    { "[$stderr.fileno, $stdin.fileno]", 1 },
    { "format(\"%05.1f\", 3.14159)", 1 },
    { "\"%d-%s\" % [5, \"x\"]", 1 },
    { "Struct.new(:a).new(1).a", 1 },
    { "instance_eval(\"1 + 1\")", 1 },
    { "String.class_eval(\"3\")", 1 },
    { "Math::PI.round(3)", 1 },
    { "Integer(\"12\") + 1", 1 },
    { "[1, 2, 3].sum", 1 },
    { "Fiber.new { 1 }.resume", 1 },
    { "1r + 2i", 1 },
    { "begin; raise IOError, \"x\"; rescue IOError => e; e.message; end", 1 },
    { "Comparable.instance_method(:clamp).owner", 1 },
    { "Cgroup::CPU.new(\"web\").tap { }.class", 1 },
    { "Mcgexec::GroupBuilder.new(\"g\").then { |b| b.class }", 1 },
    { "nosuch_method", 1 },
    { "1.nosuch", 1 },
    { "NoSuchConstant", 1 },
    { "Cgroup::CPU.new(\"web\").quota = 5", 1 },
    { "class Bar; def method_missing(n, *a); super; end; end; Bar.new.ljust", 1 },
    { "Mcgexec::GroupBuilder.new(\"g\").nosuch 1", 1 },
};

/* The probe's result, or its exception, as a string. */
static char *run_probe(int eager, const char *code, int *loaded)
{
    struct vm v;
    struct mcg_error err = { 0 };
    char *src, *out;

    vm_open(&v, eager);
    if (asprintf(&src, "$probe = begin\n(%s).inspect\nrescue Exception => e\n"
                       "\"#{e.class}: #{e.message}\"\nend\n", code) < 0)
        abort();
    if (mcg_policy_run(v.mrb, src, strlen(src), &err) < 0)
        out = strdup(err.msg);
    else
        out = strdup(RSTRING_CSTR(v.mrb, mrb_gv_get(v.mrb, mrb_intern_lit(v.mrb, "$probe"))));
    *loaded = !eager && mcg_gems_load(v.mrb, "the test") == 0;
    free(src);
    vm_close(&v);
    return out;
}

/* The one known difference: mruby 3.1 drops keyword arguments passed
 * alone to a missing method, so a gem method first called that way (and
 * not one of the stand-ins) cannot be called again with them.  It raises,
 * saying so, instead of running without them. */
static void test_lost_keywords(void)
{
    int loaded;
    char *lazy = run_probe(0, "Array(a: 1)", &loaded);
    CHECK(strstr(lazy, "ArgumentError: Array(key: value) as the first use of Array: mruby 3.1 "
                       "drops keyword arguments") == lazy, "Array(a: 1): %s", lazy);
    free(lazy);
    lazy = run_probe(0, "Integer(\"1\"); Array(a: 1)", &loaded);
    CHECK(strcmp(lazy, "[[:a, 1]]") == 0, "after another call of the gems: %s", lazy);
    free(lazy);
}

static void test_probes(void)
{
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        int loaded, unused;
        char *lazy = run_probe(0, probes[i].code, &loaded);
        char *eager = run_probe(1, probes[i].code, &unused);
        CHECK(strcmp(lazy, eager) == 0, "%s\n    gems on first use: %s\n    gems at start-up:  %s",
              probes[i].code, lazy, eager);
        CHECK(loaded == probes[i].loads, "%s: the gems %s", probes[i].code,
              loaded ? "loaded, and need not have" : "did not load");
        free(lazy);
        free(eager);
    }
}

int main(void)
{
    /* the probes' dry runs and p() print to stdout */
    if (!freopen("/dev/null", "w", stdout))
        return 2;
    test_structure();
    test_probes();
    test_lost_keywords();
    fprintf(stderr, "test_gems: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
