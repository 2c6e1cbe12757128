/* The mruby gems of Debian's libmruby.a, loaded when a policy first needs
 * one (src/gems.c says how and why). */
#ifndef MCGEXEC_GEMS_H
#define MCGEXEC_GEMS_H

#include <mruby.h>

/* Load every gem now, in mruby's order, as mrb_open() does (the tests). */
void mcg_gems_load_all(mrb_state *mrb);

/* Leave the gems unloaded until the policy could tell they are missing.
 * Call once the VM holds everything else it starts with.  on_load, if
 * given, hears the first use that loads them ("method 'ljust'").  `lib`
 * (compiled Ruby, or NULL) waits likewise until a policy names one of the
 * methods or constants in `lib_names` (NULL-terminated), or the gems load. */
void mcg_gems_defer(mrb_state *mrb, void (*on_load)(mrb_state *mrb, const char *why),
                    const uint8_t *lib, const char *const *lib_names);

/* Are they still deferred (never loaded in this VM)? */
int mcg_gems_deferred(mrb_state *mrb);

/* Load them if they are still deferred; 1 if this call loaded them. */
int mcg_gems_load(mrb_state *mrb, const char *why);

/* Before running compiled policy code: load the gems if the code names a
 * global variable that only a gem defines ($stdout).  Reading a global
 * has no hook to catch it at run time. */
void mcg_gems_scan(mrb_state *mrb, const struct RProc *proc);

/* What a gem replaces in the VM the policy starts with, and when calling
 * the method found there before the gems load is still what the policy
 * would get with them loaded.  tests/unit/test_gems.c checks the table against what loading
 * the gems replaces. */
enum mcg_override_use {
    MCG_OVERRIDE_LOAD_FIRST,    /* every call loads the gems, then calls the gem's version */
    MCG_OVERRIDE_BLOCK_IS_CORE, /* with a block and no arguments the gem calls the core one */
    MCG_OVERRIDE_SAME_BEFORE,   /* the same result until a gem's own type (Rational) exists */
    MCG_OVERRIDE_STUB,          /* no core method: a stand-in that loads the gems */
};
struct mcg_override {
    const char *owner, *name;
    enum mcg_override_use use;
};
extern const struct mcg_override mcg_gem_overrides[];
extern const int mcg_ngem_overrides;

#endif
