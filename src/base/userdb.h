/* The passwd and group databases, as getpwnam(3) and friends see them.
 *
 * mcgexec is linked statically by default, and a static glibc program
 * that loads an NSS module (libnss_systemd, sss, ldap) crashes there:
 * Debian's default nsswitch.conf names systemd after files, so an unknown
 * user crashed `--user`, and File.expand_path("~nobody") in a policy.  So
 * a static mcgexec reads /etc/passwd and /etc/group itself
 * (fgetpwent_r, fgetgrent_r: no NSS), and what they do not know it asks
 * getent(1), a dynamic program that loads the modules nsswitch.conf names.
 * The static link routes glibc's getpwnam, getpwuid, getgrnam, getgrgid
 * and getgrouplist here too (-Wl,--wrap, CMakeLists.txt), for the calls
 * mruby's gems make.  A dynamic mcgexec calls glibc directly.
 *
 * Same contracts as the glibc functions; results live until the next call.
 */
#ifndef MCGEXEC_USERDB_H
#define MCGEXEC_USERDB_H

#include <grp.h>
#include <pwd.h>
#include <sys/types.h>

struct passwd *mcg_getpwnam(const char *name);
struct passwd *mcg_getpwuid(uid_t uid);
struct group *mcg_getgrnam(const char *name);
struct group *mcg_getgrgid(gid_t gid);
int mcg_getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups);

#endif
