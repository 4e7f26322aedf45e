/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef FTP_ALG_PATHS_H
#define FTP_ALG_PATHS_H

#include <sys/types.h>

/* mkdir -p of the directory path is in (not path itself). 0 or -errno. */
int path_mkdirs(const char *path, mode_t mode);

#endif
