/* The memory of a supervised run's mruby VM, apart from mcgexec's own
 * (src/policy/vmheap.c). */
#ifndef MCGEXEC_VMHEAP_H
#define MCGEXEC_VMHEAP_H

#include <stddef.h>
#include <mruby.h>

/* mruby's allocator interface (mrb_allocf) over mcgexec's VM heap: ud is
 * ignored.  Blocks come from memory mapped for the VM alone. */
void *mcg_vmheap_allocf(mrb_state *mrb, void *p, size_t size, void *ud);

/* Give every page of the VM heap back (after mrb_close of the one VM that
 * used it: nothing of it may be touched again). */
void mcg_vmheap_release(void);

/* Is the VM heap in use in this build (not under AddressSanitizer, which
 * must see every block the VM allocates)? */
int mcg_vmheap_available(void);

#endif
