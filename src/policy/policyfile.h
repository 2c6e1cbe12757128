/* Reading the policy file, and deciding whether root may trust it. */
#ifndef MCGEXEC_POLICYFILE_H
#define MCGEXEC_POLICYFILE_H

#include <stddef.h>

#include "base/error.h"

/* Read the whole policy at `path` (text or RITE bytecode) into a malloc'd,
 * NUL-terminated buffer.  When mcgexec runs as root, the policy is code
 * root will run: refuse it if a user other than root or the caller owns
 * it or a directory above it, or if others can write to either, or a group
 * that is not the owner's private group.  A directory with the sticky bit,
 * like /tmp, is fine: no one else can replace what root owns there.
 * Symlinks are followed and the target is checked. */
char *mcg_read_policy(const char *path, size_t *len, struct mcg_error *err);

#endif
