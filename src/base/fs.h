/*
 * fs.h — file-system helpers shared by the modules that create files
 * (warehouse and storage databases, a command's output directory).
 */
#ifndef TRANCHE_FS_H
#define TRANCHE_FS_H

#include "tranche/error.h"

/*
 * mkdir -p of every directory above the file at path (not of path itself).
 * TR_EIO naming the directory when one cannot be created or a non-directory
 * is in the way; TR_ENOMEM.
 */
int tr_mkdir_parents(const char *path, tr_error *err);

#endif
