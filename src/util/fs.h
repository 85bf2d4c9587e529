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

/* Files written in place and made durable together (a probe's private directory): each is
 * written and its writeback started at once (sync_file_range on Linux), its descriptor kept; one
 * pass of fdatasync at the end then waits on data that is already on its way, and on one journal
 * commit for the lot instead of one per file. Durability is the same as an fsync per file: the
 * pass returns 0 only when every file's data and size are on disk. The directories' entries are
 * the caller's (cs__fsync_path). At most CS_SYNCSET_MAX descriptors are held: a full set, or a
 * process out of descriptors, is synced early (durable all the same, batched less). */
#define CS_SYNCSET_MAX 64
typedef struct cs__syncset {
  int fds[CS_SYNCSET_MAX];
  char *paths[CS_SYNCSET_MAX]; /* for error messages */
  size_t n;
  /* lazy: cs__write_file_deferred writes and closes each file at once, neither starting its
   * writeback nor holding it (files that will be removed, or made durable later by path with
   * cs__syncset_add: --keep-runs answers|none) */
  bool lazy;
} cs__syncset;
void cs__syncset_init(cs__syncset *s);
/* Raises the soft limit on open files to `want` (at most the hard limit) when it is lower: a
 * sweep holds up to CS_SYNCSET_MAX files per job thread while it makes a probe durable. */
void cs__fd_limit_at_least(uint64_t want);
/* Creates/truncates path, writes data (gzip-compressed when `gzip`), starts writeback, and holds
 * the file in s. Not durable until cs__syncset_sync returns 0. */
int cs__write_file_deferred(const char *path, const void *data, size_t len, bool gzip, cs__syncset *s, cs_err *err);
/* Opens an existing regular file read-only (never through a link), starts its writeback and
 * holds it in s, for a later cs__syncset_sync (files written lazily, made durable afterwards). */
int cs__syncset_add(cs__syncset *s, const char *path, cs_err *err);
/* fdatasync and close every held file; the first failure names its file. s is empty after. */
int cs__syncset_sync(cs__syncset *s, cs_err *err);
/* Closes the held files without syncing them (an error path: they will not be committed). */
void cs__syncset_release(cs__syncset *s);
/* cs__write_file_atomic without any sync: "<path>.tmp-XXXXXX" written and renamed over path, so
 * path is always whole (after a kill) but not durable; a crash may lose or truncate it. */
int cs__write_file_replace(const char *path, const void *data, size_t len, cs_err *err);
/* fsync of a file or directory by path. */
int cs__fsync_path(const char *path, cs_err *err);

/* sha1 (40 hex digits) and size of a regular file, read as stored (no gzip inflation);
 * a symbolic link or special file is an error. */
int cs__file_sha1(const char *path, char hex[41], uint64_t *size, cs_err *err);

/* mkdir -p; existing directories are fine. */
#define cs__mkdir_p cs_mkdir_p /* public */
/* Recursively removes a directory tree (used for scratch directories only). */
int cs__rm_rf(const char *path, cs_err *err);
/* Atomically publishes a finished directory: rename(tmp, final) + fsync of the parent (only
 * the rename when !sync). */
int cs__rename_dir(const char *tmp, const char *final, cs_err *err);
int cs__rename_dir_sync(const char *tmp, const char *final, bool sync, cs_err *err);

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
