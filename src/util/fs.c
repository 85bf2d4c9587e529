/* sync_file_range (Linux) starts a file's writeback without waiting: see cs__syncset. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/sbuf.h"
#include "util/sha1.h"

/* Inputs are regular files of bounded size: a FIFO would block, /dev/zero never ends. */
static int open_input(const char *path, int *fd_out, size_t *size, cs_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    return cs_err_set(err, e == ENOENT ? CS_ENOENT : CS_EIO, "%s: cannot open: %s", path, strerror(e));
  }
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0) rc = cs_err_set(err, CS_EIO, "%s: cannot stat: %s", path, strerror(errno));
  else if (S_ISDIR(st.st_mode)) rc = cs_err_set(err, CS_EINVAL, "%s: is a directory, expected a file", path);
  else if (!S_ISREG(st.st_mode))
    rc = cs_err_set(err, CS_EINVAL, "%s: not a regular file (a FIFO, device or socket); inputs must be regular files",
                    path);
  else if ((uint64_t)st.st_size > CS_INPUT_MAX_BYTES)
    rc = cs_err_set(err, CS_ERANGE, "%s: %lld bytes, more than the %llu an input may have", path,
                    (long long)st.st_size, (unsigned long long)CS_INPUT_MAX_BYTES);
  if (rc == 0) rc = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0 ? 0 : cs_err_set(err, CS_EIO, "%s: fcntl", path);
  if (rc) {
    close(fd);
    return rc;
  }
  *fd_out = fd;
  *size = (size_t)st.st_size;
  return 0;
}

int cs__check_input(const char *path, cs_err *err) {
  int fd;
  size_t size;
  int rc = open_input(path, &fd, &size, err);
  if (rc == 0) close(fd);
  return rc;
}

static int read_raw(const char *path, char **out, size_t *len, cs_err *err) {
  int fd;
  size_t size;
  int rc = open_input(path, &fd, &size, err);
  if (rc) return rc;
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_grow(&sb, size + 1);
  char chunk[1 << 16];
  int bad = 0;
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) bad = errno;
    if (n <= 0) break;
    if (sb.len + (size_t)n > CS_INPUT_MAX_BYTES) {
      close(fd);
      cs__sbuf_release(&sb);
      return cs_err_set(err, CS_ERANGE, "%s: grew past the %llu bytes an input may have while being read", path,
                        (unsigned long long)CS_INPUT_MAX_BYTES);
    }
    cs__sbuf_add(&sb, chunk, (size_t)n);
  }
  close(fd);
  if (bad) {
    cs__sbuf_release(&sb);
    return cs_err_set(err, CS_EIO, "%s: read error: %s", path, strerror(bad));
  }
  *len = sb.len;
  *out = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return 0;
}

static int gunzip(const char *path, const char *in, size_t inlen, char **out, size_t *len, cs_err *err) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return cs_err_set(err, CS_ENOMEM, "%s: cannot start gzip decoder", path);
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)inlen;
  int rc;
  for (;;) {
    cs__sbuf_grow(&sb, 1 << 16);
    zs.next_out = (Bytef *)(sb.buf + sb.len);
    zs.avail_out = (uInt)(sb.cap - sb.len - 1);
    rc = inflate(&zs, Z_NO_FLUSH);
    sb.len = (size_t)((char *)zs.next_out - sb.buf);
    if (sb.len > CS_INPUT_MAX_BYTES) {
      inflateEnd(&zs);
      cs__sbuf_release(&sb);
      return cs_err_set(err, CS_ERANGE, "%s: decompresses to more than the %llu bytes an input may have", path,
                        (unsigned long long)CS_INPUT_MAX_BYTES);
    }
    if (rc == Z_STREAM_END) {
      /* concatenated gzip members are legal: continue with the next one */
      if (zs.avail_in > 0) {
        inflateReset(&zs);
        continue;
      }
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  sb.buf[sb.len] = '\0';
  if (rc != Z_STREAM_END) {
    cs__sbuf_release(&sb);
    if (rc == Z_DATA_ERROR) return cs_err_set(err, CS_EPARSE, "%s: corrupt gzip data", path);
    return cs_err_set(err, CS_EPARSE, "%s: truncated gzip stream (expected more compressed data)", path);
  }
  *len = sb.len;
  *out = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return 0;
}

int cs__read_file(const char *path, char **out, size_t *len, cs_err *err) {
  char *raw;
  size_t rawlen;
  int rc = read_raw(path, &raw, &rawlen, err);
  if (rc) return rc;
  if (rawlen >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b) {
    rc = gunzip(path, raw, rawlen, out, len, err);
    free(raw);
    return rc;
  }
  *out = raw;
  *len = rawlen;
  return 0;
}

static int fsync_dir_of(const char *path) {
  char *dir = cs__path_dirname(path);
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  free(dir);
  if (fd < 0) return -1;
  fsync(fd);
  close(fd);
  return 0;
}

/* Writes all of data (gzip-compressed when asked) to fd, without syncing it. */
static int write_data(int fd, const char *path, const void *data, size_t len, bool gzip, cs_err *err) {
  int rc = 0;
  if (gzip) {
    int fd2 = dup(fd);
    gzFile gz = fd2 >= 0 ? gzdopen(fd2, "wb6") : NULL;
    if (!gz) return cs_err_set(err, CS_EIO, "%s: cannot start gzip writer", path);
    const char *p = data;
    size_t left = len;
    while (left > 0 && rc == 0) {
      unsigned take = left > (1u << 30) ? (1u << 30) : (unsigned)left;
      if (gzwrite(gz, p, take) != (int)take) rc = cs_err_set(err, CS_EIO, "%s: gzip write failed", path);
      p += take;
      left -= take;
    }
    if (gzclose(gz) != Z_OK && rc == 0) rc = cs_err_set(err, CS_EIO, "%s: gzip close failed", path);
  } else {
    const char *p = data;
    size_t left = len;
    while (left > 0) {
      ssize_t w = write(fd, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        return cs_err_set(err, CS_EIO, "%s: write failed: %s", path, strerror(errno));
      }
      p += w;
      left -= (size_t)w;
    }
  }
  return rc;
}

/* Writes all of data (gzip-compressed when asked) to fd and fsyncs it. */
static int write_fd(int fd, const char *path, const void *data, size_t len, bool gzip, cs_err *err) {
  int rc = write_data(fd, path, data, len, gzip, err);
  if (rc == 0 && fsync(fd) != 0) rc = cs_err_set(err, CS_EIO, "%s: fsync failed: %s", path, strerror(errno));
  return rc;
}

/* tmp + write (+ fsync when durable) + rename (+ fsync of the directory when durable) */
static int write_atomic(const char *path, const void *data, size_t len, bool gzip, bool durable, cs_err *err);

int cs__write_file_atomic(const char *path, const void *data, size_t len, bool gzip, cs_err *err) {
  return write_atomic(path, data, len, gzip, true, err);
}

int cs__write_file_replace(const char *path, const void *data, size_t len, cs_err *err) {
  return write_atomic(path, data, len, false, false, err);
}

static int write_atomic(const char *path, const void *data, size_t len, bool gzip, bool durable, cs_err *err) {
  struct stat pst;
  if (stat(path, &pst) == 0 && S_ISDIR(pst.st_mode))
    return cs_err_set(err, CS_EINVAL, "%s is a directory; expected a file path", path);
  size_t plen = strlen(path);
  char *tmp = cs__xmalloc(plen + 16);
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp-XXXXXX", 12);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    if (e == ENOENT || e == ENOTDIR) {
      const char *slash = strrchr(path, '/');
      int dlen = slash ? (int)(slash - path) : 1;
      return cs_err_set(err, CS_ENOENT, "%s: directory '%.*s' does not exist (create it first, e.g. mkdir -p)", path,
                        dlen ? dlen : 1, slash ? (dlen ? path : "/") : ".");
    }
    return cs_err_set(err, CS_EIO, "%s: cannot create temporary file: %s", path, strerror(e));
  }
  fchmod(fd, 0644);
  int rc = durable ? write_fd(fd, path, data, len, gzip, err) : write_data(fd, path, data, len, gzip, err);
  close(fd);
  if (rc == 0 && rename(tmp, path) != 0) rc = cs_err_set(err, CS_EIO, "%s: rename failed: %s", path, strerror(errno));
  if (rc != 0) unlink(tmp);
  else if (durable) fsync_dir_of(path);
  free(tmp);
  return rc;
}

void cs__fd_limit_at_least(uint64_t want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) return;
  rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : (rlim_t)want;
  (void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort: a full process syncs its sets early */
}

void cs__syncset_init(cs__syncset *s) { memset(s, 0, sizeof *s); }

/* fdatasync of every held file, oldest first, then close; the first failure is reported (the
 * rest are still synced and closed). After the first call has committed the journal, the others
 * find their blocks written and allocated and only wait. */
int cs__syncset_sync(cs__syncset *s, cs_err *err) {
  int rc = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (fdatasync(s->fds[i]) != 0 && rc == 0)
      rc = cs_err_set(err, CS_EIO, "%s: fdatasync failed: %s", s->paths[i], strerror(errno));
    if (close(s->fds[i]) != 0 && rc == 0)
      rc = cs_err_set(err, CS_EIO, "%s: close failed: %s", s->paths[i], strerror(errno));
    free(s->paths[i]);
  }
  s->n = 0;
  return rc;
}

void cs__syncset_release(cs__syncset *s) {
  for (size_t i = 0; i < s->n; i++) {
    close(s->fds[i]);
    free(s->paths[i]);
  }
  s->n = 0;
}

static int open_deferred(const char *path, cs__syncset *s, int *fd, cs_err *err) {
  *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (*fd < 0 && (errno == EMFILE || errno == ENFILE) && s->n > 0) {
    /* out of descriptors: make the held files durable now and try again */
    int rc = cs__syncset_sync(s, err);
    if (rc) return rc;
    *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  if (*fd < 0 && errno == EISDIR) return cs_err_set(err, CS_EINVAL, "%s is a directory; expected a file path", path);
  if (*fd < 0) return cs_err_set(err, CS_EIO, "%s: cannot create: %s", path, strerror(errno));
  return 0;
}

/* Starts fd's writeback now (delayed allocation happens here, so one journal commit covers the
 * set) and keeps fd in s until cs__syncset_sync waits for it; s takes fd and a copy of path. */
static void hold(cs__syncset *s, int fd, const char *path) {
#ifdef __linux__
  (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
  s->fds[s->n] = fd;
  s->paths[s->n++] = cs__xstrdup(path);
}

int cs__write_file_deferred(const char *path, const void *data, size_t len, bool gzip, cs__syncset *s, cs_err *err) {
  int rc = s->n == CS_SYNCSET_MAX ? cs__syncset_sync(s, err) : 0;
  int fd = -1;
  if (rc || (rc = open_deferred(path, s, &fd, err))) return rc;
  if ((rc = write_data(fd, path, data, len, gzip, err))) {
    close(fd);
    return rc;
  }
  if (s->lazy) /* not held: removed, or synced later by path (cs__syncset_add) */
    return close(fd) == 0 ? 0 : cs_err_set(err, CS_EIO, "%s: close failed: %s", path, strerror(errno));
  hold(s, fd, path);
  return 0;
}

int cs__syncset_add(cs__syncset *s, const char *path, cs_err *err) {
  int rc = s->n == CS_SYNCSET_MAX ? cs__syncset_sync(s, err) : 0;
  if (rc) return rc;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && (errno == EMFILE || errno == ENFILE) && s->n > 0) {
    if ((rc = cs__syncset_sync(s, err))) return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0) return cs_err_set(err, CS_EIO, "%s: cannot open: %s", path, strerror(errno));
  hold(s, fd, path);
  return 0;
}

int cs__fsync_path(const char *path, cs_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return cs_err_set(err, CS_EIO, "%s: cannot open: %s", path, strerror(errno));
  int rc = 0;
  if (fsync(fd) != 0) rc = cs_err_set(err, CS_EIO, "%s: fsync failed: %s", path, strerror(errno));
  close(fd);
  return rc;
}

int cs__file_sha1(const char *path, char hex[41], uint64_t *size, cs_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return cs_err_set(err, errno == ENOENT ? CS_ENOENT : CS_EIO, "%s: cannot open: %s", path,
                      errno == ELOOP ? "is a symbolic link" : strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return cs_err_set(err, CS_EIO, "%s: not a regular file", path);
  }
  cs__sha1 s;
  cs__sha1_init(&s);
  unsigned char buf[1 << 16];
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return cs_err_set(err, CS_EIO, "%s: read error: %s", path, strerror(e));
    }
    if (n == 0) break;
    cs__sha1_update(&s, buf, (size_t)n);
    total += (uint64_t)n;
  }
  close(fd);
  unsigned char d[20];
  cs__sha1_final(&s, d);
  for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
  *size = total;
  return 0;
}

int cs__mkdir_p(const char *path, cs_err *err) {
  if (!path[0]) return cs_err_set(err, CS_EINVAL, "cannot create a directory with an empty name");
  char *p = cs__xstrdup(path);
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      int e = errno;
      int rc = cs_err_set(err, CS_EIO, "%s: cannot create directory: %s", p, strerror(e));
      free(p);
      return rc;
    }
    *s = '/';
  }
  if (mkdir(p, 0755) != 0 && errno != EEXIST) {
    int e = errno;
    int rc = cs_err_set(err, CS_EIO, "%s: cannot create directory: %s", p, strerror(e));
    free(p);
    return rc;
  }
  if (!cs__is_dir(p)) {
    int rc = cs_err_set(err, CS_EINVAL, "%s: exists and is not a directory", p);
    free(p);
    return rc;
  }
  free(p);
  return 0;
}

int cs__rm_rf(const char *path, cs_err *err) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : cs_err_set(err, CS_EIO, "%s: %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (!d) return cs_err_set(err, CS_EIO, "%s: cannot open directory: %s", path, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char *child = cs__path_join(path, e->d_name);
      rc = cs__rm_rf(child, err);
      free(child);
    }
    closedir(d);
    if (rc) return rc;
    if (rmdir(path) != 0) return cs_err_set(err, CS_EIO, "%s: cannot remove: %s", path, strerror(errno));
    return 0;
  }
  if (unlink(path) != 0) return cs_err_set(err, CS_EIO, "%s: cannot remove: %s", path, strerror(errno));
  return 0;
}

int cs__rename_dir(const char *tmp, const char *final, cs_err *err) { return cs__rename_dir_sync(tmp, final, true, err); }

int cs__rename_dir_sync(const char *tmp, const char *final, bool sync, cs_err *err) {
  if (rename(tmp, final) != 0) return cs_err_set(err, CS_EIO, "%s: cannot rename to %s: %s", tmp, final, strerror(errno));
  if (sync) fsync_dir_of(final);
  return 0;
}

int cs__path_guard(const char *base, const char *path, cs_err *err) {
  size_t bl = strlen(base);
  if (strncmp(path, base, bl) != 0) return cs_err_set(err, CS_EINVAL, "%s: not inside %s", path, base);
  char *p = cs__xstrdup(path);
  int rc = 0;
  for (size_t i = bl; rc == 0;) {
    while (p[i] == '/') i++;
    if (!p[i]) break;
    while (p[i] && p[i] != '/') i++;
    char save = p[i];
    p[i] = '\0';
    struct stat st;
    if (lstat(p, &st) != 0) {
      p[i] = save;
      break; /* not there yet */
    }
    if (S_ISLNK(st.st_mode))
      rc = cs_err_set(err, CS_EUSAGE,
                      "%s: is a symbolic link inside the output directory %s; capsearch never follows links "
                      "there (a link could make it overwrite or delete files elsewhere): remove it",
                      p, base);
    else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
      rc = cs_err_set(err, CS_EUSAGE, "%s: is neither a directory nor a regular file (inside the output directory %s)",
                      p, base);
    p[i] = save;
  }
  free(p);
  return rc;
}

bool cs__path_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

bool cs__is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *cs__path_join(const char *a, const char *b) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__sbuf_adds(&sb, a);
  if (sb.len > 0 && sb.buf[sb.len - 1] != '/') cs__sbuf_addc(&sb, '/');
  while (*b == '/') b++;
  cs__sbuf_adds(&sb, b);
  char *r = cs__sbuf_detach(&sb);
  cs__sbuf_release(&sb);
  return r;
}

char *cs__path_dirname(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return cs__xstrdup(".");
  if (slash == path) return cs__xstrdup("/");
  return cs__xstrndup(path, (size_t)(slash - path));
}
