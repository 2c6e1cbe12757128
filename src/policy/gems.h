/* The gems a policy has (mruby_config.rb): most are defined when the VM
 * opens, a few only when the policy names them (src/policy/gems.c). */
#ifndef MCGEXEC_GEMS_H
#define MCGEXEC_GEMS_H

#include <stddef.h>
#include <mruby.h>
#include <mruby/irep.h>

struct mcg_gem {
    const char *name;                 /* "mruby_time" */
    void (*init)(mrb_state *mrb);     /* mruby's generated init: C, then the Ruby half */
    void (*final)(mrb_state *mrb);
};

/* Every gem of the build, in mruby's initialisation order (gems_table.c,
 * generated from mruby's gem_init.c by CMakeLists.txt). */
extern const struct mcg_gem mcg_gems[];
extern const size_t mcg_ngems;

/* A VM with mruby's core and the gems defined at start-up (every gem, in a
 * build against another libmruby), its memory from allocf (mruby's
 * mrb_default_allocf, or src/policy/vmheap.c's); NULL when out of memory. */
mrb_state *mcg_gems_open(mrb_allocf allocf);

/* Before the policy runs: define each deferred gem whose names the
 * compiled policy (irep and the ireps inside it) mentions, or all of them
 * where it can reach names it does not mention (send, const_get, ...).
 * 0, or -1 with mrb->exc set. */
int mcg_gems_for(mrb_state *mrb, const mrb_irep *irep);

/* Does the compiled code name one of names (NULL-terminated), or reach
 * names it does not spell (send, const_get, ...)?  For what mcgexec itself
 * defines only where a policy could use it (ENV). */
int mcg_irep_names(mrb_state *mrb, const mrb_irep *irep, const char *const *names);

/* Define the deferred gems whose bits (1 << index in mcg_deferred) are in
 * mask, as mcg_gems_for does (for tests); 0 or -1. */
int mcg_gems_load(mrb_state *mrb, unsigned mask);

/* The deferred gems and the names that define them (NULL-terminated). */
struct mcg_deferred_gem {
    const char *gem;
    const char *const *names;
};
extern const struct mcg_deferred_gem mcg_deferred[];
extern const size_t mcg_ndeferred;

#endif
