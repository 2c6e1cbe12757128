/* Values between a policy's Ruby and the kernel's control files (convert.c). */
#ifndef MCGEXEC_CONVERT_H
#define MCGEXEC_CONVERT_H

#include <stddef.h>

#include <mruby.h>

#include "settings/table.h"

/* A Ruby String as a C string, or NULL when it holds a NUL byte. */
const char *mcg_cstr_of(mrb_state *mrb, mrb_value v);
/* Is v :max? */
int mcg_is_max(mrb_state *mrb, mrb_value v);
/* A policy value as the text a v1 file of this kind takes (a new String
 * in *out), or -1 with *why for a value that is wrong whatever the kernel
 * says. */
int mcg_to_kernel(mrb_state *mrb, enum mcg_kind kind, mrb_value v, mrb_value *out,
                  const char **why);
/* A file's text as the Ruby value of this kind. */
mrb_value mcg_from_kernel(mrb_state *mrb, enum mcg_kind kind, const char *text);
/* A file's text as a Ruby value, where no kind is known (c["file"]). */
mrb_value mcg_from_kernel_generic(mrb_state *mrb, const char *text);

#endif
