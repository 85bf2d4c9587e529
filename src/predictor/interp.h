/* Interpolation of profiled points (Vidur profiling CSVs) into dense lookup tables.
 *
 * 1-D: piecewise-linear in x between profiled points (token ops by num_tokens, all-reduce by
 * tokens); clamped below the first point; linear past the last point with the slope over the
 * last half of the x range (floored at 0).
 * 2-D: a family of 1-D series, one per profiled key (attn_decode: one per batch size, over
 * kv_cache_size; attn_prefill: one per prefill chunk, over kv_cache_size); a query interpolates
 * within the two series whose keys bracket it, then linearly between them. A series with a single
 * point (large prefill chunks only have kv = 0) borrows the kv-slope of the nearest series with
 * two or more points, scaled by key ratio (attention's kv-dependent work grows with the chunk /
 * batch). Past the last key, linear with the slope over the last half of the keys.
 *
 * Ownership: caller-owned structs; _release frees. */
#ifndef CS_PREDICTOR_INTERP_H
#define CS_PREDICTOR_INTERP_H

#include <stddef.h>

#include "predictor/internal.h"

typedef struct cs__pts {
  size_t n, cap;
  double *x, *y;
  double slope; /* extrapolation slope past the last x (set by _finish) */
} cs__pts;

void cs__pts_add(cs__pts *p, double x, double y);
/* Sorts by x, averages points with equal x, computes the extrapolation slope. */
void cs__pts_finish(cs__pts *p);
double cs__pts_at(const cs__pts *p, double x);
void cs__pts_release(cs__pts *p);
/* Table over integer x = 0..n-1. */
void cs__tab1_from_pts(cs__tab1 *t, const cs__pts *p, int32_t n);

typedef struct cs__series2 {
  size_t n, cap;
  double *key;
  cs__pts *s;
} cs__series2;

/* Adds (key, x, y); keys may come in any order. */
void cs__series2_add(cs__series2 *s, double key, double x, double y);
void cs__series2_finish(cs__series2 *s);
double cs__series2_at(const cs__series2 *s, double key, double x);
void cs__series2_release(cs__series2 *s);
double cs__series2_max_key(const cs__series2 *s);
double cs__series2_max_x(const cs__series2 *s);

#endif
