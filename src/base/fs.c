/*
 * fs.c — file-system helpers (fs.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"

int tr_mkdir_parents(const char *path, tr_error *err)
{
	char *dir = strdup(path);
	char *slash = NULL;
	int rc = 0;

	if (!dir)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		struct stat sb;

		*slash = '\0';
		if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
			rc = tr_error_set(err, TR_EIO, "cannot create directory \"%s\": %s", dir,
					  strerror(errno));
			goto out;
		}
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			rc = tr_error_set(err, TR_EIO, "\"%s\" is in the way: it is not a directory",
					  dir);
			goto out;
		}
		*slash = '/';
	}
out:
	free(dir);
	return rc;
}
