/* The gems a policy must name to use (src/policy/gems.c), held to two promises:
 *
 *  - each deferred gem's names cover everything it adds to what existed
 *    before it: every constant and global it defines, every method of an
 *    existing class or module it adds or replaces (so a policy that names
 *    none of them cannot reach the gem);
 *  - a VM whose deferred gems came late, any subset of them, is the VM
 *    mruby's own order makes with the same gems: the same classes,
 *    constants, globals and methods, each method the same C function or
 *    the same compiled Ruby.
 *
 * and a third, of the mruby the build made (patches/mruby applied, the gems
 * of mruby_config.rb):
 *
 *  - mrb_open()'s VM has the shape recorded in tests/unit/vm-shape.txt,
 *    which was written from Debian's mruby source with no patch of the
 *    project's applied: a patch that speeds mruby up (0002 defines every
 *    method by its compile-time symbol) changes nothing a policy can see.
 *    A change of mruby_config.rb's gems changes the shape on purpose:
 *    `test_gems --write-shape tests/unit/vm-shape.txt` records the new one.
 *
 * A VM is described as sorted lines "Path#method=where", "Path::CONST" and
 * "$global", walking every class and module reachable from Object (by the
 * first of its constants' names in sorted order).  In a shape, `where` is
 * what a method is (a C function, a C function taking no arguments, Ruby,
 * or undefined), not its address. */
#include "check.h"
#include "policy/gems.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mruby/array.h>
#include <mruby/class.h>
#include <mruby/compile.h>
#include <mruby/proc.h>
#include <mruby/string.h>
#include <mruby/variable.h>

struct lines {
    char **v;
    size_t n, cap;
};

static void add(struct lines *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = strdup(s);
}

static void free_lines(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

struct walk {
    mrb_state *mrb;
    struct lines *out;
    int shape; /* what each method is, not where */
    const char *path;
    struct RClass *seen[4096];
    size_t nseen;
};

static int one_method(mrb_state *mrb, mrb_sym mid, mrb_method_t m, void *data)
{
    struct walk *w = data;
    char line[512];
    const void *where = NULL;

    if (w->shape) {
        const char *kind = MRB_METHOD_UNDEF_P(m)                        ? "undef"
                           : MRB_METHOD_CFUNC_P(m) && MRB_METHOD_NOARG_P(m) ? "C, no arguments"
                           : MRB_METHOD_CFUNC_P(m)                      ? "C"
                                                                        : "Ruby";
        snprintf(line, sizeof(line), "%s#%s=%s", w->path, mrb_sym_name(mrb, mid), kind);
        add(w->out, line);
        return 0;
    }
    if (MRB_METHOD_UNDEF_P(m))
        where = "undef";
    else if (MRB_METHOD_FUNC_P(m))
        where = (const void *)(uintptr_t)MRB_METHOD_FUNC(m);
    else {
        const struct RProc *p = MRB_METHOD_PROC(m);
        where = MRB_PROC_CFUNC_P(p) ? (const void *)(uintptr_t)MRB_PROC_CFUNC(p)
                                    : (const void *)(p->body.irep ? p->body.irep->iseq : NULL);
    }
    snprintf(line, sizeof(line), "%s#%s=%p", w->path, mrb_sym_name(mrb, mid), where);
    add(w->out, line);
    return 0;
}

static int const_name(mrb_state *mrb, mrb_sym s, mrb_value v, void *data)
{
    const char *n = mrb_sym_name(mrb, s);
    (void)v;
    if (n[0] >= 'A' && n[0] <= 'Z')
        mrb_ary_push(mrb, *(mrb_value *)data, mrb_symbol_value(s));
    return 0;
}

static mrb_state *sorting; /* the VM whose symbols by_name compares */

static int by_name(const void *a, const void *b)
{
    return strcmp(mrb_sym_name(sorting, mrb_symbol(*(const mrb_value *)a)),
                  mrb_sym_name(sorting, mrb_symbol(*(const mrb_value *)b)));
}

static void walk_module(struct walk *w, struct RClass *c, const char *path)
{
    mrb_state *mrb = w->mrb;

    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i] == c)
            return;
    if (w->nseen < sizeof(w->seen) / sizeof(w->seen[0]))
        w->seen[w->nseen++] = c;
    const char *saved = w->path;
    char spath[256];
    w->path = path;
    mrb_mt_foreach(mrb, c, one_method, w);
    if (c->c && c->c->tt == MRB_TT_SCLASS) {
        snprintf(spath, sizeof(spath), "%s.", path);
        w->path = spath;
        mrb_mt_foreach(mrb, c->c, one_method, w);
    }
    w->path = saved;
    /* its constants (in mruby, its instance variables whose names start
     * with a capital), and the classes and modules among them */
    mrb_value names = mrb_ary_new(mrb);
    mrb_iv_foreach(mrb, mrb_obj_value(c), const_name, &names);
    /* in the order of their names, not of the table (which follows the
     * symbols' numbers): a class reachable by two names is walked under
     * the same one in every build */
    qsort(RARRAY_PTR(names), (size_t)RARRAY_LEN(names), sizeof(mrb_value), by_name);
    for (mrb_int i = 0; i < RARRAY_LEN(names); i++) {
        mrb_sym s = mrb_symbol(RARRAY_PTR(names)[i]);
        char sub[256];
        snprintf(sub, sizeof(sub), "%s::%s", path, mrb_sym_name(mrb, s));
        add(w->out, sub);
        mrb_value v = mrb_const_get(mrb, mrb_obj_value(c), s);
        if (mrb_class_p(v) || mrb_module_p(v))
            walk_module(w, mrb_class_ptr(v), sub);
    }
}

static void describe_as(mrb_state *mrb, struct lines *out, int shape)
{
    struct walk *w = calloc(1, sizeof(*w));
    sorting = mrb;
    w->mrb = mrb;
    w->out = out;
    w->shape = shape;
    w->path = "";
    walk_module(w, mrb->object_class, "Object");
    mrb_value g = mrb_funcall(mrb, mrb_top_self(mrb), "global_variables", 0);
    for (mrb_int i = 0; mrb_array_p(g) && i < RARRAY_LEN(g); i++)
        add(out, mrb_sym_name(mrb, mrb_symbol(RARRAY_PTR(g)[i])));
    free(w);
}

static void describe(mrb_state *mrb, struct lines *out)
{
    describe_as(mrb, out, 0);
}

/* qsort's comparison works on char **: */
static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void describe_sorted(mrb_state *mrb, struct lines *out)
{
    describe(mrb, out);
    qsort(out->v, out->n, sizeof(*out->v), cmp_lines);
}

/* gem's index in mcg_deferred, or -1 for a gem defined at start-up */
static int deferred_index(const char *gem)
{
    for (size_t d = 0; d < mcg_ndeferred; d++)
        if (strcmp(mcg_deferred[d].gem, gem) == 0)
            return (int)d;
    return -1;
}

/* mruby's order, with the deferred gems of mask in it, as mrb_open() does
 * with all of them. */
static mrb_state *in_order(unsigned mask)
{
    mrb_state *mrb = mrb_open_core(mrb_default_allocf, NULL);

    for (size_t i = 0; i < mcg_ngems; i++) {
        int d = deferred_index(mcg_gems[i].name);
        if (d >= 0 && !(mask & (1u << d)))
            continue;
        mcg_gems[i].init(mrb);
    }
    return mrb;
}

/* A line of `after` not in `before`, or NULL. */
static const char *first_new(const struct lines *before, const struct lines *after, size_t *at)
{
    size_t i = 0;
    for (size_t j = *at; j < after->n; j++) {
        while (i < before->n && strcmp(before->v[i], after->v[j]) < 0)
            i++;
        if (i >= before->n || strcmp(before->v[i], after->v[j]) != 0) {
            *at = j + 1;
            return after->v[j];
        }
    }
    *at = after->n;
    return NULL;
}

/* The name a line is about: "Object::Time" -> "Time", "Object::Integer#quo=0x.." ->
 * "quo", "$stdout" -> "$stdout". */
static void name_of(const char *line, char *name, size_t len)
{
    const char *hash = strchr(line, '#'), *colons = strrchr(line, ':');
    if (line[0] == '$')
        snprintf(name, len, "%s", line);
    else if (hash) {
        /* (the last '=' is the one before the address: "#==" is "==") */
        const char *eq = strrchr(hash, '=');
        snprintf(name, len, "%.*s", (int)(eq - hash - 1), hash + 1);
    } else
        snprintf(name, len, "%s", colons ? colons + 1 : line);
}

/* Is line about what existed before (a method of an existing class, a
 * constant of one, a global), and so something a policy must name? */
static int about_existing(const struct lines *before, const char *line)
{
    char owner[256];
    const char *hash = strchr(line, '#');
    if (line[0] == '$')
        return 1;
    size_t n = hash ? (size_t)(hash - line) : (size_t)(strrchr(line, ':') - 1 - line);
    snprintf(owner, sizeof(owner), "%.*s", (int)n, line);
    if (owner[n ? n - 1 : 0] == '.')
        owner[n - 1] = '\0';
    if (strcmp(owner, "Object") == 0)
        return 1;
    for (size_t i = 0; i < before->n; i++)
        if (strcmp(before->v[i], owner) == 0)
            return 1;
    return 0;
}

static int in_names(const char *const *names, const char *name)
{
    for (; *names; names++)
        if (strcmp(*names, name) == 0)
            return 1;
    return 0;
}

static void test_names_cover_each_gem(void)
{
    for (size_t d = 0; d < mcg_ndeferred; d++) {
        mrb_state *mrb = mcg_gems_open(mrb_default_allocf);
        struct lines before = { 0 }, after = { 0 };
        describe_sorted(mrb, &before);
        CHECK(mcg_gems_load(mrb, 1u << d) == 0, "%s: loading failed", mcg_deferred[d].gem);
        describe_sorted(mrb, &after);
        size_t at = 0, news = 0;
        for (const char *l; (l = first_new(&before, &after, &at));) {
            char name[128];
            news++;
            if (!about_existing(&before, l))
                continue;
            name_of(l, name, sizeof(name));
            /* Integer#/ of mruby-rational differs from the core's only
             * for a Rational (src/policy/gems.c) */
            if (strcmp(mcg_deferred[d].gem, "mruby_rational") == 0 && strcmp(name, "/") == 0)
                continue;
            CHECK(in_names(mcg_deferred[d].names, name),
                  "%s adds or changes %s, which is not among its names", mcg_deferred[d].gem, l);
        }
        CHECK(news > 0, "%s added nothing", mcg_deferred[d].gem);
        free_lines(&before);
        free_lines(&after);
        mrb_close(mrb);
    }
}

static int same(const struct lines *a, const struct lines *b, const char **diff)
{
    size_t i = 0, j = 0;
    while (i < a->n && j < b->n) {
        int c = strcmp(a->v[i], b->v[j]);
        if (c) {
            *diff = c < 0 ? a->v[i] : b->v[j];
            return 0;
        }
        i++;
        j++;
    }
    *diff = i < a->n ? a->v[i] : j < b->n ? b->v[j] : NULL;
    return *diff == NULL;
}

/* The hidden global gems.c keeps in a VM it opened, which a VM opened
 * in mruby's order lacks. */
static void drop_gems_global(struct lines *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], "mcgexec gems") != 0)
            l->v[k++] = l->v[i];
        else
            free(l->v[i]);
    l->n = k;
}

static void test_late_equals_in_order(void)
{
    unsigned all = (1u << mcg_ndeferred) - 1;
    for (unsigned mask = 0; mask <= all; mask++) {
        mrb_state *late = mcg_gems_open(mrb_default_allocf), *ref = in_order(mask);
        struct lines a = { 0 }, b = { 0 };
        const char *diff;
        CHECK(mcg_gems_load(late, mask) == 0, "mask %#x: loading failed", mask);
        describe_sorted(late, &a);
        describe_sorted(ref, &b);
        CHECK(a.n > 100, "mask %#x: only %zu lines", mask, a.n);
        drop_gems_global(&a);
        CHECK(same(&a, &b, &diff), "mask %#x: late and in-order VMs differ at %s", mask, diff);
        free_lines(&a);
        free_lines(&b);
        mrb_close(late);
        mrb_close(ref);
    }
    /* all of them late is mrb_open() */
    mrb_state *late = mcg_gems_open(mrb_default_allocf), *ref = mrb_open();
    struct lines a = { 0 }, b = { 0 };
    const char *diff;
    mcg_gems_load(late, all);
    describe_sorted(late, &a);
    describe_sorted(ref, &b);
    drop_gems_global(&a);
    CHECK(same(&a, &b, &diff), "all late and mrb_open() differ at %s", diff);
    free_lines(&a);
    free_lines(&b);
    mrb_close(late);
    mrb_close(ref);
}

/* code compiled, not run, in mrb: its irep, or NULL */
static const mrb_irep *compiled(mrb_state *mrb, const char *code)
{
    mrbc_context *cxt = mrbc_context_new(mrb);
    cxt->no_exec = TRUE;
    mrb_value proc = mrb_load_string_cxt(mrb, code, cxt);
    mrbc_context_free(mrb, cxt);
    return mrb_proc_p(proc) ? mrb_proc_ptr(proc)->body.irep : NULL;
}

/* The scan: a compiled snippet defines exactly the gems it names. */
static void test_scan(void)
{
    static const struct {
        const char *code;
        const char *gems; /* the deferred gems expected, by name, space-separated */
    } cases[] = {
        { "x = 1 + 2", "" },
        { "Cgroup = 1; [1, 2].each_slice(1) { }", "" },
        { "Time.now", "mruby_time" },
        { "def f = Struct.new(:a)", "mruby_struct" },
        { "[1].map { |x| Math.sqrt(x) }", "mruby_math" },
        { "p 3r", "mruby_rational" },
        { "1.quo(2)", "mruby_rational" },
        { "srand(1)", "mruby_random" },
        { "$stdout.write 'x'", "mruby_io" },
        { "File.read('/x') rescue nil", "mruby_io" },
        { "`true`", "mruby_io" },
        { "Object.const_get('Ti' + 'me')", "all" },
        { "1.send(:quo, 2)", "all" },
        { "class A; def m = instance_eval { 1 }; end", "all" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mrb_state *mrb = mcg_gems_open(mrb_default_allocf);
        const mrb_irep *irep = compiled(mrb, cases[i].code);
        CHECK(irep != NULL, "case %zu does not compile", i);
        if (!irep) {
            mrb_close(mrb);
            continue;
        }
        CHECK(mcg_gems_for(mrb, irep) == 0, "case %zu: failed", i);
        mrb_value got = mrb_gv_get(mrb, mrb_intern_lit(mrb, "mcgexec gems"));
        unsigned mask = mrb_integer_p(got) ? (unsigned)mrb_integer(got) : 0, want = 0;
        if (strcmp(cases[i].gems, "all") == 0)
            want = (1u << mcg_ndeferred) - 1;
        for (size_t d = 0; d < mcg_ndeferred; d++)
            if (strstr(cases[i].gems, mcg_deferred[d].gem))
                want |= 1u << d;
        CHECK(mask == want, "'%s': gems %#x, expected %#x", cases[i].code, mask, want);
        mrb_close(mrb);
    }
    /* what mcgexec itself defines only where named: ENV */
    static const char *const env[] = { "ENV", "Environment", NULL };
    static const struct {
        const char *code;
        int names;
    } env_cases[] = {
        { "x = 1", 0 },
        { "def f = ENV['HOME']", 1 },
        { "[1].each { |x| Mcgexec::Environment }", 1 },
        { "Object.const_get(:EN.to_s + 'V')", 1 },
        { "'ENV'", 0 },
    };
    for (size_t i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
        mrb_state *mrb = mcg_gems_open(mrb_default_allocf);
        const mrb_irep *irep = compiled(mrb, env_cases[i].code);
        CHECK(irep && mcg_irep_names(mrb, irep, env) == env_cases[i].names,
              "'%s': ENV named should be %d", env_cases[i].code, env_cases[i].names);
        mrb_close(mrb);
    }
}

/* mrb_open()'s VM in shape lines, sorted */
static void shape_of_mrb_open(struct lines *out)
{
    mrb_state *mrb = mrb_open();
    describe_as(mrb, out, 1);
    qsort(out->v, out->n, sizeof(*out->v), cmp_lines);
    mrb_close(mrb);
}

static int write_shape(const char *file)
{
    struct lines l = { 0 };
    FILE *f = fopen(file, "w");
    if (!f) {
        perror(file);
        return 1;
    }
    shape_of_mrb_open(&l);
    for (size_t i = 0; i < l.n; i++)
        fprintf(f, "%s\n", l.v[i]);
    free_lines(&l);
    return fclose(f) == 0 ? 0 : 1;
}

static void test_shape(const char *file)
{
    struct lines got = { 0 }, want = { 0 };
    char buf[1024];
    FILE *f = fopen(file, "r");

    CHECK(f != NULL, "%s: cannot read it", file);
    if (!f)
        return;
    while (fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\n")] = '\0';
        add(&want, buf);
    }
    fclose(f);
    shape_of_mrb_open(&got);
    CHECK(want.n > 1000, "%s: only %zu lines", file, want.n);
    size_t i = 0, j = 0, extra = 0, missing = 0;
    while (i < got.n || j < want.n) {
        int c = i == got.n ? 1 : j == want.n ? -1 : strcmp(got.v[i], want.v[j]);
        if (c < 0 && extra++ < 5)
            fprintf(stderr, "test_gems: mrb_open() has %s, %s does not\n", got.v[i], file);
        if (c > 0 && missing++ < 5)
            fprintf(stderr, "test_gems: %s has %s, mrb_open() does not\n", file, want.v[j]);
        i += c <= 0;
        j += c >= 0;
    }
    CHECK(extra == 0 && missing == 0, "mrb_open()'s VM differs from %s: %zu lines more, %zu missing",
          file, extra, missing);
    free_lines(&got);
    free_lines(&want);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-shape") == 0)
        return write_shape(argv[2]);
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: test_gems [SHAPE_FILE] | test_gems --write-shape FILE\n");
        return 2;
    }
    if (mcg_ndeferred == 0) {
        printf("test_gems: no deferred gems in this build (another libmruby)\n");
        return 0;
    }
    test_names_cover_each_gem();
    test_late_equals_in_order();
    test_scan();
    if (argc == 2)
        test_shape(argv[1]);
    printf("test_gems: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
