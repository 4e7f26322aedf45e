// SPDX-License-Identifier: GPL-2.0-or-later
/* Down to CAP_NET_ADMIN and, optionally, a user of its own; privdrop.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "privdrop.h"

#define CAP_BIT(c)	(1u << ((c) & 31))

int privdrop_resolve(struct privdrop *p, const char *user,
		     const char *ctl_group, bool default_group)
{
	struct passwd *pw;
	struct group *gr;

	memset(p, 0, sizeof(*p));
	if (user[0]) {
		errno = 0;
		pw = getpwnam(user);
		if (!pw) {
			log_fatal("user %s: %s", user, errno ?
				  strerror(errno) : "no such user");
			return errno ? -errno : -ENOENT;
		}
		if (!pw->pw_uid) {
			log_fatal("user %s is root: nothing to drop to", user);
			return -EINVAL;
		}
		/* started as that user already (systemd's User=) */
		p->have_user = pw->pw_uid != geteuid();
		p->uid = pw->pw_uid;
		p->gid = pw->pw_gid;
	}
	errno = 0;
	gr = getgrnam(ctl_group);
	if (gr) {
		p->have_ctl_gid = true;
		p->ctl_gid = gr->gr_gid;
	} else if (!default_group) {
		log_fatal("ctl_group %s: %s", ctl_group, errno ?
			  strerror(errno) : "no such group");
		return errno ? -errno : -ENOENT;
	}
	return 0;
}

/*
 * The directory that holds path becomes the user's, if it is one of its
 * own: never a mount point (/run, /), never a sticky one (/tmp).
 */
static int give_dir(const char *path, uid_t uid, gid_t gid)
{
	char dir[PATH_MAX], up[PATH_MAX + 4];
	struct stat st, pst;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';		/* "/state": the root, refused below */
	else
		*slash = '\0';
	snprintf(up, sizeof(up), "%s/..", dir);
	if (stat(dir, &st) < 0 || stat(up, &pst) < 0)
		return -errno;
	if (st.st_uid == uid)
		return 0;
	if (st.st_dev != pst.st_dev || st.st_ino == pst.st_ino ||
	    (st.st_mode & S_ISVTX)) {
		log_fatal("%s is not a directory of ftp-algd's own (a mount "
			  "point or sticky): cannot give it to uid %u; put "
			  "the state file and control socket in one, e.g. "
			  "/run/ftp-alg", dir, (unsigned)uid);
		return -EPERM;
	}
	if (chown(dir, uid, gid) < 0)
		return -errno;
	return 0;
}

static int give_file(const char *path, uid_t uid, gid_t gid)
{
	if (chown(path, uid, gid) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* path has owner uid and group gid already ((uid_t)-1: any owner) */
static bool owned_as(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	return (uid == (uid_t)-1 || st.st_uid == uid) &&
	       (gid == (gid_t)-1 || st.st_gid == gid);
}

static int give_files(const struct privdrop *p, const char *state_path,
		      const char *ctl_path)
{
	char lock[PATH_MAX], tmp[PATH_MAX];
	gid_t sock_gid = p->have_ctl_gid ? p->ctl_gid : (gid_t)-1;
	uid_t uid = p->have_user ? p->uid : (uid_t)-1;
	int ret = 0;

	if (p->have_user) {
		snprintf(lock, sizeof(lock), "%s.lock", state_path);
		snprintf(tmp, sizeof(tmp), "%s.new", state_path);
		ret = give_dir(state_path, p->uid, p->gid);
		if (!ret)
			ret = give_dir(ctl_path, p->uid, sock_gid);
		if (!ret)
			ret = give_file(state_path, p->uid, p->gid);
		if (!ret)
			ret = give_file(lock, p->uid, p->gid);
		if (!ret)
			ret = give_file(tmp, p->uid, p->gid);
	}
	/*
	 * mode 0660 (ctl.c): the group is who may ask. No chown() when the
	 * socket is as wanted already (created with our group under
	 * systemd's Group=): the unit's system call filter refuses it.
	 */
	if (!ret && (p->have_user || p->have_ctl_gid) &&
	    !owned_as(ctl_path, uid, sock_gid) &&
	    chown(ctl_path, uid, sock_gid) < 0)
		ret = -errno;
	if (ret)
		log_fatal("cannot hand the state and control socket over: %s",
			  strerror(-ret));
	return ret;
}

/* Every capability but CAP_NET_ADMIN out of the bounding set. */
static int drop_bounding(void)
{
	int cap, has;

	for (cap = 0; (has = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0;
	     cap++) {
		if (cap == CAP_NET_ADMIN || !has)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			/* started without CAP_SETPCAP: say so, carry on */
			log_warn("cannot drop capability %d from the bounding "
				 "set: %s", cap, strerror(errno));
			return 0;
		}
	}
	return 0;
}

int privdrop_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];

	memset(c, 0, sizeof(c));
	c[CAP_NET_ADMIN >> 5].effective = CAP_BIT(CAP_NET_ADMIN);
	c[CAP_NET_ADMIN >> 5].permitted = CAP_BIT(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, c) < 0)
		return -errno;
	/* ambient needs 4.3; EINVAL before it means there is none */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	return 0;
}

static int become_user(const struct privdrop *p)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(1, &p->gid) < 0 ||
	    setresgid(p->gid, p->gid, p->gid) < 0 ||
	    setresuid(p->uid, p->uid, p->uid) < 0)
		return -errno;
	return 0;
}

int privdrop_apply(const struct privdrop *p, const char *state_path,
		   const char *ctl_path)
{
	const char *what;
	int ret;

	ret = give_files(p, state_path, ctl_path);
	if (ret)
		return ret;
	what = "the bounding set";
	ret = drop_bounding();
	if (!ret && p->have_user) {
		what = "setresuid";
		ret = become_user(p);
	}
	if (!ret) {
		what = "capset";
		ret = privdrop_caps();
	}
	if (!ret && p->have_user) {
		what = "PR_SET_KEEPCAPS";
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			ret = -errno;
	}
	if (!ret) {
		what = "PR_SET_NO_NEW_PRIVS";
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			ret = -errno;
	}
	if (ret) {
		log_fatal("cannot drop privileges: %s: %s", what,
			  strerror(-ret));
		return ret;
	}
	log_info("privileges: uid %u gid %u, capabilities: cap_net_admin "
		 "only", (unsigned)getuid(), (unsigned)getgid());
	return 0;
}
