/* Files: whole-file reads (gzip transparently), atomic writes, directories.
 * Atomic write (git lockfile.h / ninja build_log idea): write "<path>.tmp-XXXXXX", fsync, rename
 * over <path>, fsync the directory. A file that exists under its final name is complete.
 * Ownership: buffers returned through `out` are malloc'd; the caller frees them. */
#ifndef CS_UTIL_FS_H
#define CS_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsearch/error.h"
#include "capsearch/util.h"

/* The most bytes an input file may have, compressed or inflated (1 GiB). */
#define CS_INPUT_MAX_BYTES ((uint64_t)1 << 30)

/* Reads a file; if it starts with the gzip magic it is inflated. A truncated or corrupt gzip
 * stream is an error naming the file. The buffer is NUL-terminated (len excludes the NUL). */
#define cs__read_file cs_read_file /* public */
/* Reads a regular file of at most CS_INPUT_MAX_BYTES: a directory, FIFO, device or socket is
 * refused at once (CS_EINVAL, naming what it is), a larger file with CS_ERANGE. cs__read_file
 * applies it; cs__check_input only checks. */
int cs__check_input(const char *path, cs_err *err);

/* Writes data atomically; gzip-compresses when `gzip` is true. */
int cs__write_file_atomic(const char *path, const void *data, size_t len, bool gzip, cs_err *err);

/* Writes a file in place (create/truncate, write, fsync) without the temporary name: for files
 * inside a private directory that is published as a whole by cs__rename_dir, where the rename
 * of the directory is what makes them visible. Fsync the directory (cs__fsync_path) before it. */
int cs__write_file_durable(const char *path, const void *data, size_t len, bool gzip, cs_err *err);
/* fsync of a file or directory by path. */
int cs__fsync_path(const char *path, cs_err *err);

/* sha1 (40 hex digits) and size of a regular file, read as stored (no gzip inflation);
 * a symbolic link or special file is an error. */
int cs__file_sha1(const char *path, char hex[41], uint64_t *size, cs_err *err);

/* mkdir -p; existing directories are fine. */
#define cs__mkdir_p cs_mkdir_p /* public */
/* Recursively removes a directory tree (used for scratch directories only). */
int cs__rm_rf(const char *path, cs_err *err);
/* Atomically publishes a finished directory: rename(tmp, final) + fsync of the parent. */
int cs__rename_dir(const char *tmp, const char *final, cs_err *err);

/* Inside a directory capsearch owns (the output directory) nothing is followed: every existing
 * component of `path` below `base` (path must start with base) must be a real directory or
 * regular file, never a symbolic link. CS_EUSAGE naming the link otherwise; absent components
 * are fine (they will be created). */
int cs__path_guard(const char *base, const char *path, cs_err *err);

#define cs__path_exists cs_path_exists /* public */
#define cs__is_dir cs_is_dir /* public */
/* Joins two path parts with one '/', malloc'd. */
#define cs__path_join cs_path_join /* public */
/* Directory part of a path ("." when none), malloc'd. */
char *cs__path_dirname(const char *path);

#endif
