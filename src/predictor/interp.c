/* Interpolation of profiled points into lookup tables (see interp.h). */
#include "predictor/interp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

void cs__pts_add(cs__pts *p, double x, double y) {
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->x = cs__xrealloc(p->x, p->cap * sizeof *p->x);
    p->y = cs__xrealloc(p->y, p->cap * sizeof *p->y);
  }
  p->x[p->n] = x;
  p->y[p->n] = y;
  p->n++;
}

typedef struct xy {
  double x, y;
} xy;

static int cmp_xy(const void *a, const void *b) {
  const xy *p = a, *q = b;
  if (p->x != q->x) return p->x < q->x ? -1 : 1;
  return p->y < q->y ? -1 : p->y > q->y; /* total order: deterministic whatever qsort does */
}

/* Value by linear interpolation inside [x0, xn]; clamped below. */
static double inside(const cs__pts *p, double x) {
  if (p->n == 0) return 0;
  if (x <= p->x[0]) return p->y[0];
  size_t lo = 0, hi = p->n - 1;
  if (x >= p->x[hi]) return p->y[hi];
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (p->x[mid] <= x) lo = mid;
    else hi = mid;
  }
  double t = (x - p->x[lo]) / (p->x[hi] - p->x[lo]);
  return p->y[lo] + t * (p->y[hi] - p->y[lo]);
}

void cs__pts_finish(cs__pts *p) {
  if (p->n == 0) return;
  xy *a = cs__xmalloc(p->n * sizeof *a);
  for (size_t i = 0; i < p->n; i++) a[i] = (xy){p->x[i], p->y[i]};
  qsort(a, p->n, sizeof *a, cmp_xy);
  size_t m = 0;
  for (size_t i = 0; i < p->n;) {
    size_t j = i;
    double sum = 0;
    while (j < p->n && a[j].x == a[i].x) sum += a[j++].y;
    p->x[m] = a[i].x;
    p->y[m] = sum / (double)(j - i);
    m++;
    i = j;
  }
  p->n = m;
  free(a);
  p->slope = 0;
  if (m >= 2) {
    double xl = p->x[m - 1], xh = p->x[0] + (xl - p->x[0]) / 2;
    double s = (p->y[m - 1] - inside(p, xh)) / (xl - xh);
    p->slope = s > 0 ? s : 0;
  }
}

double cs__pts_at(const cs__pts *p, double x) {
  if (p->n == 0) return 0;
  if (x > p->x[p->n - 1]) return p->y[p->n - 1] + p->slope * (x - p->x[p->n - 1]);
  return inside(p, x);
}

void cs__pts_release(cs__pts *p) {
  free(p->x);
  free(p->y);
  memset(p, 0, sizeof *p);
}

void cs__tab1_from_pts(cs__tab1 *t, const cs__pts *p, int32_t n) {
  t->n = n;
  t->v = cs__xmalloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
  for (int32_t i = 0; i < n; i++) t->v[i] = cs__pts_at(p, i);
}

/* ---- 2-D series ----------------------------------------------------------------------------- */
static size_t find_key(const cs__series2 *s, double key) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->key[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

void cs__series2_add(cs__series2 *s, double key, double x, double y) {
  size_t i = find_key(s, key);
  if (i == s->n || s->key[i] != key) {
    if (s->n == s->cap) {
      s->cap = s->cap ? s->cap * 2 : 32;
      s->key = cs__xrealloc(s->key, s->cap * sizeof *s->key);
      s->s = cs__xrealloc(s->s, s->cap * sizeof *s->s);
    }
    memmove(s->key + i + 1, s->key + i, (s->n - i) * sizeof *s->key);
    memmove(s->s + i + 1, s->s + i, (s->n - i) * sizeof *s->s);
    s->key[i] = key;
    memset(&s->s[i], 0, sizeof s->s[i]);
    s->n++;
  }
  cs__pts_add(&s->s[i], x, y);
}

void cs__series2_finish(cs__series2 *s) {
  for (size_t i = 0; i < s->n; i++) cs__pts_finish(&s->s[i]);
  /* single-point series borrow the slope of the nearest multi-point series, scaled by key */
  for (size_t i = 0; i < s->n; i++) {
    if (s->s[i].n >= 2) continue;
    size_t best = s->n;
    double bd = INFINITY;
    for (size_t j = 0; j < s->n; j++) {
      if (s->s[j].n < 2) continue;
      double d = fabs(s->key[j] - s->key[i]);
      if (d < bd) bd = d, best = j;
    }
    if (best < s->n && s->key[best] > 0) s->s[i].slope = s->s[best].slope * s->key[i] / s->key[best];
  }
}

double cs__series2_at(const cs__series2 *s, double key, double x) {
  if (s->n == 0) return 0;
  if (key <= s->key[0]) return cs__pts_at(&s->s[0], x);
  size_t last = s->n - 1;
  if (key >= s->key[last]) {
    double vl = cs__pts_at(&s->s[last], x);
    if (key == s->key[last] || last == 0) return vl;
    /* past the last key: slope over the last half of the keys */
    double kh = s->key[0] + (s->key[last] - s->key[0]) / 2;
    double vh = cs__series2_at(s, kh, x);
    double slope = (vl - vh) / (s->key[last] - kh);
    if (!(slope > 0)) slope = 0;
    return vl + slope * (key - s->key[last]);
  }
  size_t hi = find_key(s, key);
  if (s->key[hi] == key) return cs__pts_at(&s->s[hi], x);
  size_t lo = hi - 1;
  double t = (key - s->key[lo]) / (s->key[hi] - s->key[lo]);
  return cs__pts_at(&s->s[lo], x) * (1 - t) + cs__pts_at(&s->s[hi], x) * t;
}

void cs__series2_release(cs__series2 *s) {
  for (size_t i = 0; i < s->n; i++) cs__pts_release(&s->s[i]);
  free(s->key);
  free(s->s);
  memset(s, 0, sizeof *s);
}

double cs__series2_max_key(const cs__series2 *s) { return s->n ? s->key[s->n - 1] : 0; }

double cs__series2_max_x(const cs__series2 *s) {
  double m = 0;
  for (size_t i = 0; i < s->n; i++)
    if (s->s[i].n && s->s[i].x[s->s[i].n - 1] > m) m = s->s[i].x[s->s[i].n - 1];
  return m;
}
