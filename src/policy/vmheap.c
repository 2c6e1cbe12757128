/* The memory of a supervised run's mruby VM (vmheap.h).
 *
 * Under --wait mcgexec stays as a supervisor for as long as the job runs,
 * and what it holds then should be little more than timeout(1) does.  The
 * VM is closed before the job starts, but through glibc's malloc its
 * memory does not go: the thread cache keeps up to seven freed blocks of
 * every size, scattered over the pages the policy run used, and
 * malloc_trim() gives back only whole free pages.  Those were 60 KiB of the
 * supervisor's 90 KiB of dirty heap (measured with the cache turned off,
 * GLIBC_TUNABLES=glibc.malloc.tcache_count=0).
 *
 * So a supervised run's VM gets memory of its own: slabs mapped for it,
 * cut into blocks by size class (16-byte steps up to 4 KiB, then powers of
 * two up to 128 KiB; larger blocks are mapped one by one), each class with
 * a free list, and all of it unmapped once the VM is closed.  mruby asks
 * through its allocator interface (mrb_open_core(allocf, ud)), made for
 * this.  A run that execs in place keeps glibc's malloc: the exec gives
 * everything back.  So does an AddressSanitizer build, which must see every
 * block the VM allocates. */
#define _GNU_SOURCE
#include "policy/vmheap.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define VMHEAP_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMHEAP_OFF 1
#endif
#endif

#define SLAB_SIZE (1024 * 1024)
#define SMALL_MAX 4096                  /* 16-byte classes up to here */
#define NSMALL (SMALL_MAX / 16)         /* classes 0 .. NSMALL-1: 16 .. 4096 */
#define LARGE_MAX (128 * 1024)          /* power-of-two classes up to here */
#define NCLASS (NSMALL + 5)             /* + 8, 16, 32, 64, 128 KiB */
#define HEADER 16                       /* keeps blocks 16-byte aligned */

/* A block's header: its class, or for a block mapped on its own
 * (class NCLASS) the size of the mapping. */
struct header {
    size_t class;
    size_t mapped;
};

struct slab {
    struct slab *next;
};

static struct slab *slabs;           /* every slab, to unmap */
static char *bump, *bump_end;        /* the free tail of the newest slab */
static void *free_list[NCLASS];      /* freed blocks by class, linked through their first word */

static size_t class_of(size_t size)
{
    if (size <= SMALL_MAX)
        return size == 0 ? 0 : (size - 1) / 16;
    size_t c = NSMALL, cap = 8192;
    while (cap < size) {
        cap <<= 1;
        c++;
    }
    return c;
}

static size_t capacity(size_t class)
{
    return class < NSMALL ? (class + 1) * 16 : (size_t)8192 << (class - NSMALL);
}

static void *map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void *block_alloc(size_t size)
{
    if (size > LARGE_MAX) {
        size_t total = (size + HEADER + 4095) & ~(size_t)4095;
        struct header *h = map(total);
        if (!h)
            return NULL;
        h->class = NCLASS;
        h->mapped = total;
        return (char *)h + HEADER;
    }
    size_t c = class_of(size);
    if (free_list[c]) {
        void *p = free_list[c];
        memcpy(&free_list[c], p, sizeof(void *));
        return p;
    }
    size_t need = HEADER + capacity(c);
    if (!bump || (size_t)(bump_end - bump) < need) {
        struct slab *s = map(SLAB_SIZE);
        if (!s)
            return NULL;
        s->next = slabs;
        slabs = s;
        bump = (char *)s + HEADER;
        bump_end = (char *)s + SLAB_SIZE;
    }
    struct header *h = (struct header *)bump;
    bump += need;
    h->class = c;
    h->mapped = 0;
    return (char *)h + HEADER;
}

static void block_free(void *p)
{
    struct header *h = (struct header *)((char *)p - HEADER);
    if (h->class == NCLASS) {
        munmap(h, h->mapped);
        return;
    }
    memcpy(p, &free_list[h->class], sizeof(void *));
    free_list[h->class] = p;
}

void *mcg_vmheap_allocf(mrb_state *mrb, void *p, size_t size, void *ud)
{
    (void)mrb;
    (void)ud;
    if (size == 0) {
        if (p)
            block_free(p);
        return NULL;
    }
    if (!p)
        return block_alloc(size);
    struct header *h = (struct header *)((char *)p - HEADER);
    size_t have = h->class == NCLASS ? h->mapped - HEADER : capacity(h->class);
    if (size <= have && (h->class == NCLASS || class_of(size) == h->class))
        return p;
    void *q = block_alloc(size);
    if (!q)
        return NULL; /* (mruby keeps p, as with realloc) */
    memcpy(q, p, have < size ? have : size);
    block_free(p);
    return q;
}

void mcg_vmheap_release(void)
{
    while (slabs) {
        struct slab *next = slabs->next;
        munmap(slabs, SLAB_SIZE);
        slabs = next;
    }
    bump = bump_end = NULL;
    memset(free_list, 0, sizeof(free_list));
}

int mcg_vmheap_available(void)
{
#ifdef VMHEAP_OFF
    return 0;
#else
    return 1;
#endif
}
