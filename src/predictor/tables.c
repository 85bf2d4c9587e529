/* Precomputed lookup tables of the profile predictor: access with extrapolation, and the cache
 * file format.
 *
 * Extrapolation past a table's end is linear with the slope over the table's last half, floored
 * at zero. Vidur raises KeyError there and kills the simulation (vidur-semantics.md §5.5); we
 * continue (SPEC §5, a documented divergence). A half-table slope is used rather than the last
 * step because random-forest tables are piecewise constant: their last step is often exactly 0.
 *
 * Cache file (little-endian host layout; the header's byte-order mark rejects foreign files):
 *   0   8  magic "CSPTBL\0\1"
 *   8   4  format version (CACHE_VERSION)
 *   12  4  byte-order mark 0x01020304
 *   16  8  key: hash of everything the tables were built from (model, device, TP/PP, params, input bytes)
 *   24  8  payload length in bytes
 *   32  8  FNV-1a 64 checksum of the payload
 *   40  .. payload: kv_gran, chunk_gran, have_attn, then each table as (n | rows, cols) + doubles
 * A file whose size, magic, version, key or checksum disagrees is reported as CS_EFORMAT and the
 * caller rebuilds it; a half-written file never exists under the final name (atomic rename). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predictor/internal.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/sha1.h"

#define CACHE_VERSION 2u
#define HEADER_LEN 40
static const char cache_magic[8] = {'C', 'S', 'P', 'T', 'B', 'L', 0, 1};

void cs__ptables_release(cs__ptables *t) {
  if (!t) return;
  for (int i = 0; i < CS__NUM_TOK_OPS; i++) free(t->tok[i].v);
  free(t->decode.v);
  free(t->prefill.v);
  free(t->cpu.v);
  memset(t, 0, sizeof *t);
}

/* Value at integer-or-real position x of a sampled function f(0..n-1), linear past the end. */
static double ext(const double *v, int32_t n, ptrdiff_t stride, double x) {
  if (n <= 0) return 0;
  if (x <= 0) return v[0];
  double last = (double)(n - 1);
  if (x <= last) {
    int32_t i = (int32_t)x;
    double fr = x - i;
    if (fr == 0 || i + 1 >= n) return v[i * stride];
    return v[i * stride] * (1 - fr) + v[(i + 1) * stride] * fr;
  }
  if (n == 1) return v[0];
  int32_t h = (n - 1) / 2;
  double slope = (v[(n - 1) * stride] - v[h * stride]) / (double)(n - 1 - h);
  if (!(slope > 0)) slope = 0;
  return v[(n - 1) * stride] + slope * (x - last);
}

double cs__tab1_at(const cs__tab1 *t, double x) { return ext(t->v, t->n, 1, x); }

double cs__tab2_at(const cs__tab2 *t, double row, double col) {
  if (t->rows <= 0 || t->cols <= 0) return 0;
  if (row <= t->rows - 1) {
    int32_t r = row <= 0 ? 0 : (int32_t)row;
    double fr = row - r;
    double a = ext(t->v + (size_t)r * (size_t)t->cols, t->cols, 1, col);
    if (fr <= 0 || r + 1 >= t->rows) return a;
    double b = ext(t->v + (size_t)(r + 1) * (size_t)t->cols, t->cols, 1, col);
    return a * (1 - fr) + b * fr;
  }
  /* past the last row: extrapolate along the row axis at this column */
  if (t->rows == 1) return ext(t->v, t->cols, 1, col);
  int32_t last = t->rows - 1, h = last / 2;
  double vl = ext(t->v + (size_t)last * (size_t)t->cols, t->cols, 1, col);
  double vh = ext(t->v + (size_t)h * (size_t)t->cols, t->cols, 1, col);
  double slope = (vl - vh) / (double)(last - h);
  if (!(slope > 0)) slope = 0;
  return vl + slope * (row - last);
}

/* ---- serialisation ------------------------------------------------------------------------ */
static void put_u32(cs__sbuf *sb, uint32_t v) { cs__sbuf_add(sb, &v, sizeof v); }
static void put_u64(cs__sbuf *sb, uint64_t v) { cs__sbuf_add(sb, &v, sizeof v); }
static void put_i32(cs__sbuf *sb, int32_t v) { cs__sbuf_add(sb, &v, sizeof v); }

static void put_tab1(cs__sbuf *sb, const cs__tab1 *t) {
  put_i32(sb, t->n);
  if (t->n > 0) cs__sbuf_add(sb, t->v, sizeof(double) * (size_t)t->n);
}

static void put_tab2(cs__sbuf *sb, const cs__tab2 *t) {
  put_i32(sb, t->rows);
  put_i32(sb, t->cols);
  size_t n = (size_t)t->rows * (size_t)t->cols;
  if (n > 0) cs__sbuf_add(sb, t->v, sizeof(double) * n);
}

int cs__ptables_save(const cs__ptables *t, const char *path, uint64_t key, cs_err *err) {
  cs__sbuf pay, file;
  cs__sbuf_init(&pay);
  cs__sbuf_init(&file);
  put_i32(&pay, t->kv_gran);
  put_i32(&pay, t->chunk_gran);
  put_i32(&pay, t->have_attn ? 1 : 0);
  put_i32(&pay, CS__NUM_TOK_OPS);
  for (int i = 0; i < CS__NUM_TOK_OPS; i++) put_tab1(&pay, &t->tok[i]);
  put_tab2(&pay, &t->decode);
  put_tab2(&pay, &t->prefill);
  put_tab1(&pay, &t->cpu);
  cs__sbuf_add(&file, cache_magic, sizeof cache_magic);
  put_u32(&file, CACHE_VERSION);
  put_u32(&file, 0x01020304u);
  put_u64(&file, key);
  put_u64(&file, (uint64_t)pay.len);
  put_u64(&file, cs__fnv1a64(pay.buf, pay.len, 0));
  cs__sbuf_add(&file, pay.buf, pay.len);
  int rc = cs__write_file_atomic(path, file.buf, file.len, false, err);
  cs__sbuf_release(&pay);
  cs__sbuf_release(&file);
  return rc;
}

typedef struct reader {
  const unsigned char *p, *end;
  bool bad;
} reader;

static void get(reader *r, void *out, size_t n) {
  if (r->bad || (size_t)(r->end - r->p) < n) {
    r->bad = true;
    memset(out, 0, n);
    return;
  }
  memcpy(out, r->p, n);
  r->p += n;
}

static int32_t get_i32(reader *r) {
  int32_t v;
  get(r, &v, sizeof v);
  return v;
}

static void get_tab1(reader *r, cs__tab1 *t) {
  int32_t n = get_i32(r);
  if (r->bad || n < 0 || (size_t)n > (size_t)(r->end - r->p) / sizeof(double)) {
    r->bad = true;
    return;
  }
  t->n = n;
  t->v = n ? cs__xmalloc(sizeof(double) * (size_t)n) : NULL;
  if (n) get(r, t->v, sizeof(double) * (size_t)n);
}

static void get_tab2(reader *r, cs__tab2 *t) {
  int32_t rows = get_i32(r), cols = get_i32(r);
  if (r->bad || rows < 0 || cols < 0) {
    r->bad = true;
    return;
  }
  size_t n = (size_t)rows * (size_t)cols;
  if (n > (size_t)(r->end - r->p) / sizeof(double)) {
    r->bad = true;
    return;
  }
  t->rows = rows;
  t->cols = cols;
  t->v = n ? cs__xmalloc(sizeof(double) * n) : NULL;
  if (n) get(r, t->v, sizeof(double) * n);
}

int cs__ptables_load(cs__ptables *t, const char *path, uint64_t key, cs_err *err) {
  memset(t, 0, sizeof *t);
  if (!cs__path_exists(path)) return cs_err_set(err, CS_ENOENT, "%s: no cache entry", path);
  char *buf = NULL;
  size_t len = 0;
  int rc = cs__read_file(path, &buf, &len, err);
  if (rc) return CS_EFORMAT;
  const unsigned char *b = (const unsigned char *)buf;
  uint32_t version = 0, bom = 0;
  uint64_t fkey = 0, plen = 0, sum = 0;
  if (len < HEADER_LEN || memcmp(b, cache_magic, sizeof cache_magic)) {
    rc = cs_err_set(err, CS_EFORMAT, "%s: not a capsearch predictor table (bad magic or truncated header)", path);
    goto out;
  }
  memcpy(&version, b + 8, 4);
  memcpy(&bom, b + 12, 4);
  memcpy(&fkey, b + 16, 8);
  memcpy(&plen, b + 24, 8);
  memcpy(&sum, b + 32, 8);
  if (version != CACHE_VERSION || bom != 0x01020304u) {
    rc = cs_err_set(err, CS_EFORMAT, "%s: table format %u (this build reads %u) or foreign byte order", path, version,
                    CACHE_VERSION);
    goto out;
  }
  if (fkey != key) {
    rc = cs_err_set(err, CS_EFORMAT, "%s: stale entry (built from other inputs)", path);
    goto out;
  }
  if (plen != len - HEADER_LEN) {
    rc = cs_err_set(err, CS_EFORMAT, "%s: truncated (payload %llu bytes, file has %zu)", path,
                    (unsigned long long)plen, len - HEADER_LEN);
    goto out;
  }
  if (cs__fnv1a64(b + HEADER_LEN, (size_t)plen, 0) != sum) {
    rc = cs_err_set(err, CS_EFORMAT, "%s: checksum mismatch (corrupt entry)", path);
    goto out;
  }
  reader r = {b + HEADER_LEN, b + len, false};
  t->kv_gran = get_i32(&r);
  t->chunk_gran = get_i32(&r);
  t->have_attn = get_i32(&r) != 0;
  if (get_i32(&r) != CS__NUM_TOK_OPS) r.bad = true;
  for (int i = 0; i < CS__NUM_TOK_OPS && !r.bad; i++) get_tab1(&r, &t->tok[i]);
  if (!r.bad) get_tab2(&r, &t->decode);
  if (!r.bad) get_tab2(&r, &t->prefill);
  if (!r.bad) get_tab1(&r, &t->cpu);
  if (r.bad || r.p != r.end || t->kv_gran <= 0 || t->chunk_gran <= 0) {
    cs__ptables_release(t);
    rc = cs_err_set(err, CS_EFORMAT, "%s: inconsistent table layout", path);
    goto out;
  }
  rc = 0;
out:
  free(buf);
  return rc;
}
