/* The supervised VM's heap (src/policy/vmheap.c): blocks hold what was written to
 * them through any sequence of allocations, growths, shrinks and frees,
 * aligned for any type; a VM runs on it, closes, and the heap is given
 * back and used again. */
#include "check.h"
#include "policy/vmheap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <mruby/compile.h>
#include <mruby/string.h>

#define SLOTS 512

static unsigned long rng = 12345;
static unsigned long next_rand(void)
{
    rng = rng * 6364136223846793005UL + 1442695040888963407UL;
    return rng >> 33;
}

/* A size: mostly small, as mruby's are, some large, a few mapped alone. */
static size_t some_size(void)
{
    unsigned long r = next_rand() % 100;
    if (r < 70)
        return 1 + next_rand() % 200;
    if (r < 95)
        return 1 + next_rand() % 20000;
    return 100000 + next_rand() % 300000;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7);
}

static int holds(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7))
            return 0;
    return 1;
}

static void test_blocks(void)
{
    unsigned char *p[SLOTS] = { 0 };
    size_t n[SLOTS] = { 0 };
    unsigned seed[SLOTS] = { 0 };
    int bad = 0;

    for (int round = 0; round < 20000; round++) {
        size_t i = next_rand() % SLOTS;
        unsigned long op = next_rand() % 3;
        if (p[i] && !holds(p[i], n[i], seed[i]))
            bad++;
        if (!p[i] || op == 0) { /* a new block */
            if (p[i])
                mcg_vmheap_allocf(NULL, p[i], 0, NULL);
            n[i] = some_size();
            p[i] = mcg_vmheap_allocf(NULL, NULL, n[i], NULL);
            seed[i] = (unsigned)round;
        } else if (op == 1) { /* grow or shrink: the common part survives */
            size_t m = some_size(), keep = m < n[i] ? m : n[i];
            p[i] = mcg_vmheap_allocf(NULL, p[i], m, NULL);
            if (p[i] && !holds(p[i], keep, seed[i]))
                bad++;
            n[i] = m;
            seed[i] = (unsigned)round;
        } else { /* free */
            mcg_vmheap_allocf(NULL, p[i], 0, NULL);
            p[i] = NULL;
            continue;
        }
        CHECK(p[i] != NULL, "round %d: no block of %zu bytes", round, n[i]);
        if (!p[i])
            return;
        CHECK(((uintptr_t)p[i] & 15) == 0, "round %d: block %p not 16-byte aligned", round,
              (void *)p[i]);
        fill(p[i], n[i], seed[i]);
    }
    for (size_t i = 0; i < SLOTS; i++)
        if (p[i] && !holds(p[i], n[i], seed[i]))
            bad++;
    CHECK(bad == 0, "%d blocks lost what was written to them", bad);
    mcg_vmheap_release();
}

static void test_vm(void)
{
    for (int pass = 0; pass < 2; pass++) {
        mrb_state *mrb = mrb_open_allocf(mcg_vmheap_allocf, NULL);
        CHECK(mrb != NULL, "pass %d: no VM", pass);
        if (!mrb)
            return;
        mrb_value v = mrb_load_string(mrb, "a = (1..20000).map { |i| 'x' * (i % 300) }\n"
                                           "h = {}; a.each_with_index { |s, i| h[i] = s }\n"
                                           "a.size.to_s + ':' + h[19999].size.to_s");
        CHECK(!mrb->exc && mrb_string_p(v) && strcmp(RSTRING_CSTR(mrb, v), "20000:200") == 0,
              "pass %d: the VM computed something else", pass);
        mrb_close(mrb);
        mcg_vmheap_release();
    }
}

int main(void)
{
    if (!mcg_vmheap_available()) {
        printf("test_vmheap: not used in this build (AddressSanitizer)\n");
        return 0;
    }
    test_blocks();
    test_vm();
    printf("test_vmheap: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
