/* Workload generators: one request at a time, as Vidur V1's synthetic and trace request
 * generators (reference vidur-semantics.md §2.1-§2.3).
 *
 * One numpy-compatible PCG64 stream (default_rng(seed), §2.2/§2.4) is shared by the interval and
 * the length generator, drawn in Vidur's order: the interval first, then the lengths. With
 * Poisson arrivals and trace lengths no length draws happen, so arrival times are bit-identical
 * to Vidur V1's. Gamma intervals (Marsaglia-Tsang with polar-method normals) and uniform/zipf
 * lengths draw from the same stream but are not bit-identical to numpy/scipy/Python (Vidur takes
 * those from other generators); their laws are the same. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"
#include "util/rng.h"

struct cs_workload {
  cs_workload_spec s;
  cs__pcg64 rng;
  int64_t produced;  /* requests emitted so far */
  double last;       /* arrival of the previous request (0 before the first) */
  size_t row;        /* next trace row for lengths (wraps around, V1) */
  double zetan, eta, alpha, half_pow_theta; /* zipf constants */
  int64_t items;
  double gamma_shape, gamma_scale;
};

void cs_workload_spec_defaults(cs_workload_spec *s) {
  memset(s, 0, sizeof *s);
  s->arrival = CS_ARRIVAL_POISSON;
  s->qps = 1.0;
  s->cv = 1.0;
  s->time_scale = 1.0;
  s->length = CS_LENGTH_TRACE;
  s->fixed_prefill = 2048; /* Vidur's fixed length generator defaults (§2.3) */
  s->fixed_decode = 512;
  s->min_tokens = 1024;
  s->max_tokens = 4096;
  s->pd_ratio = 20.0;
  s->zipf_theta = 0.6;
  s->prefill_scale = 1.0;
  s->decode_scale = 1.0;
  s->seed = 42;
}

/* Vidur's zeta sums to n - 1 (§2.3 QUIRK), kept for identical length distributions. */
static double zeta(int64_t n, double theta) {
  double z = 0;
  for (int64_t i = 1; i < n; i++) z += pow((double)i, -theta);
  return z;
}

static int check_spec(const cs_workload_spec *s, cs_err *err) {
  const cs_trace *t = s->trace;
  bool rate = s->arrival == CS_ARRIVAL_POISSON || s->arrival == CS_ARRIVAL_GAMMA || s->arrival == CS_ARRIVAL_UNIFORM;
  if (rate && !(s->qps > 0 && isfinite(s->qps)))
    return cs_err_set(err, CS_EINVAL, "workload: qps must be a positive number (got %g)", s->qps);
  if (s->arrival == CS_ARRIVAL_GAMMA && !(s->cv > 0 && isfinite(s->cv)))
    return cs_err_set(err, CS_EINVAL, "workload: gamma arrivals need cv > 0 (got %g)", s->cv);
  if ((s->arrival == CS_ARRIVAL_TRACE || s->length == CS_LENGTH_TRACE) && !t)
    return cs_err_set(err, CS_EINVAL, "workload: %s from a trace, but no trace was given",
                      s->arrival == CS_ARRIVAL_TRACE ? "arrivals" : "lengths");
  if (s->arrival == CS_ARRIVAL_TRACE) {
    if (!t->has_arrivals)
      return cs_err_set(err, CS_EINVAL, "%s: trace arrivals need an arrived_at column (the trace has none)", t->path);
    if (!(s->time_scale > 0 && isfinite(s->time_scale)))
      return cs_err_set(err, CS_EINVAL, "workload: time_scale must be a positive number (got %g)", s->time_scale);
    if (s->num_requests > (int64_t)t->n)
      return cs_err_set(err, CS_EINVAL, "%s: trace arrivals: num_requests %" PRId64 " exceeds the trace's %zu rows",
                        t->path, s->num_requests, t->n);
    for (size_t i = 1; i < t->n; i++)
      if (t->rows[i].arrived_at < t->rows[i - 1].arrived_at)
        return cs_err_set(err, CS_EINVAL,
                          "%s: trace arrivals must not decrease: row %zu arrives at %g s, before row %zu at %g s",
                          t->path, i + 1, t->rows[i].arrived_at, i, t->rows[i - 1].arrived_at);
  }
  if (s->length == CS_LENGTH_FIXED && (s->fixed_prefill <= 0 || s->fixed_decode <= 0))
    return cs_err_set(err, CS_EINVAL, "workload: fixed lengths must be positive (got prefill %d, decode %d)",
                      s->fixed_prefill, s->fixed_decode);
  if (s->length == CS_LENGTH_UNIFORM || s->length == CS_LENGTH_ZIPF) {
    if (s->min_tokens < 2 || s->max_tokens < s->min_tokens)
      return cs_err_set(err, CS_EINVAL, "workload: need 2 <= min_tokens <= max_tokens (got %d and %d)", s->min_tokens,
                        s->max_tokens);
    if (!(s->pd_ratio > 0 && isfinite(s->pd_ratio)))
      return cs_err_set(err, CS_EINVAL, "workload: pd_ratio must be positive (got %g)", s->pd_ratio);
  }
  if (s->length == CS_LENGTH_ZIPF && !(s->zipf_theta > 0 && s->zipf_theta != 1.0 && isfinite(s->zipf_theta)))
    return cs_err_set(err, CS_EINVAL, "workload: zipf_theta must be positive and not 1 (got %g)", s->zipf_theta);
  if (!(s->prefill_scale > 0 && s->decode_scale > 0 && isfinite(s->prefill_scale) && isfinite(s->decode_scale)))
    return cs_err_set(err, CS_EINVAL, "workload: prefill/decode scale factors must be positive (got %g, %g)",
                      s->prefill_scale, s->decode_scale);
  if (s->num_requests < 0 || s->duration < 0 || !isfinite(s->duration) || s->max_seq_len < 0)
    return cs_err_set(err, CS_EINVAL, "workload: num_requests, duration and max_seq_len must be >= 0");
  bool ends = s->num_requests > 0 || s->length == CS_LENGTH_TRACE || s->arrival == CS_ARRIVAL_TRACE ||
              (s->duration > 0 && s->arrival != CS_ARRIVAL_STATIC);
  if (!ends)
    return cs_err_set(err, CS_EINVAL, "workload: no end: set num_requests%s",
                      s->arrival == CS_ARRIVAL_STATIC ? " (static arrivals never pass a duration)" : " or duration");
  return 0;
}

int cs_workload_new(const cs_workload_spec *spec, cs_workload **out, cs_err *err) {
  *out = NULL;
  int rc = check_spec(spec, err);
  if (rc) return rc;
  cs_workload *w = cs__xcalloc(1, sizeof *w);
  w->s = *spec;
  cs__pcg64_seed(&w->rng, spec->seed);
  if (spec->length == CS_LENGTH_ZIPF) { /* §2.3, YCSB-style */
    double th = spec->zipf_theta;
    w->items = (int64_t)spec->max_tokens - spec->min_tokens + 1;
    w->zetan = zeta(w->items, th);
    double zeta2 = zeta(2, th);
    w->alpha = 1.0 / (1.0 - th);
    w->eta = (1.0 - pow(2.0 / (double)w->items, 1.0 - th)) / (1.0 - zeta2 / (w->zetan + 1e-8));
    w->half_pow_theta = pow(0.5, th);
  }
  if (spec->arrival == CS_ARRIVAL_GAMMA) { /* §2.2: shape 1/cv^2, scale 1/(qps*shape) */
    w->gamma_shape = 1.0 / (spec->cv * spec->cv);
    w->gamma_scale = 1.0 / (spec->qps * w->gamma_shape);
  }
  *out = w;
  return 0;
}

void cs_workload_free(cs_workload *w) { free(w); }

/* Standard normal by Marsaglia's polar method (the second value is dropped: no hidden state). */
static double normal(cs__pcg64 *r) {
  for (;;) {
    double a = 2.0 * cs__pcg64_random(r) - 1.0, b = 2.0 * cs__pcg64_random(r) - 1.0;
    double s = a * a + b * b;
    if (s > 0 && s < 1) return a * sqrt(-2.0 * log(s) / s);
  }
}

/* Gamma(shape, 1) by Marsaglia-Tsang (2000); shape < 1 via Gamma(shape + 1) * U^(1/shape). */
static double gamma1(cs__pcg64 *r, double shape) {
  if (shape < 1.0) {
    double u = 1.0 - cs__pcg64_random(r); /* (0, 1] */
    return gamma1(r, shape + 1.0) * pow(u, 1.0 / shape);
  }
  double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x = normal(r), v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = cs__pcg64_random(r);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
  }
}

static double next_arrival(cs_workload *w) {
  const cs_workload_spec *s = &w->s;
  switch (s->arrival) {
  case CS_ARRIVAL_POISSON: {
    /* §2.2 (V1): -ln(1 - u)/qps, truncated at 3 standard deviations, clamp = 3.0 * (1.0/qps) */
    double x = -log(1.0 - cs__pcg64_random(&w->rng)) / s->qps;
    if (!s->poisson_untruncated) {
      double cap = 3.0 * (1.0 / s->qps);
      if (cap < x) x = cap;
    }
    return w->last + x;
  }
  case CS_ARRIVAL_GAMMA: return w->last + gamma1(&w->rng, w->gamma_shape) * w->gamma_scale;
  case CS_ARRIVAL_STATIC: return w->last;
  case CS_ARRIVAL_UNIFORM: return w->last + 1.0 / s->qps;
  case CS_ARRIVAL_TRACE: return s->trace->rows[w->produced].arrived_at * s->time_scale;
  }
  return w->last;
}

/* Lengths for the next request; for trace lengths also its hashes and session. */
static int next_lengths(cs_workload *w, cs_request_spec *o, cs_err *err) {
  const cs_workload_spec *s = &w->s;
  o->session_id = -1;
  o->hashes = (cs_block_hashes){0};
  switch (s->length) {
  case CS_LENGTH_TRACE: {
    const cs_trace *t = s->trace;
    size_t idx = w->row % t->n; /* V1 wraps around to row 0 (§2.3) */
    const cs_trace_row *r = &t->rows[idx];
    w->row++;
    /* tokens x scale factor, then int() truncation (§2.3) */
    int64_t p = (int64_t)((double)r->prefill * s->prefill_scale);
    int64_t d = (int64_t)((double)r->decode * s->decode_scale);
    if (s->arrival == CS_ARRIVAL_TRACE) { /* V1 trace replay clips to >= 1 */
      if (p < 1) p = 1;
      if (d < 1) d = 1;
    } else if (p < 1 || d < 1) {
      return cs_err_set(err, CS_ERANGE, "%s: row %zu: scaled lengths (prefill %" PRId64 ", decode %" PRId64
                        ") must stay positive (V1 asserts P > 0 and D > 0)", t->path, idx + 1, p, d);
    }
    if (p > INT32_MAX || d > INT32_MAX)
      return cs_err_set(err, CS_ERANGE, "%s: row %zu: scaled lengths overflow", t->path, idx + 1);
    if (s->max_seq_len && p + d > s->max_seq_len)
      return cs_err_set(err, CS_ERANGE, "%s: row %zu: prefill %" PRId64 " + decode %" PRId64 " = %" PRId64
                        " tokens exceeds max_seq_len %" PRId64 " (Vidur V1 asserts P + D <= max_tokens)",
                        t->path, idx + 1, p, d, p + d, s->max_seq_len);
    o->prefill = (int32_t)p;
    o->decode = (int32_t)d;
    o->session_id = r->session_id;
    if (t->has_hashes && r->hash_n) {
      /* scaled lengths may have fewer full blocks than the row's ids; the rest stay unhashed */
      int64_t full = (p + d) / t->block_size;
      o->hashes = cs_trace_row_hashes(t, r, (uint32_t)(full < r->hash_n ? full : r->hash_n));
    }
    return 0;
  }
  case CS_LENGTH_FIXED:
    o->prefill = s->fixed_prefill;
    o->decode = s->fixed_decode;
    break;
  case CS_LENGTH_UNIFORM: {
    /* §2.3 (V1): total = U(min, max + 1); D = ceil(total/(1 + ratio)); P = int(total - D) */
    double lo = s->min_tokens, hi = (double)s->max_tokens + 1.0;
    double total = lo + (hi - lo) * cs__pcg64_random(&w->rng);
    double d = ceil(total / (1.0 + s->pd_ratio));
    o->decode = (int32_t)d;
    o->prefill = (int32_t)(total - d);
    break;
  }
  case CS_LENGTH_ZIPF: {
    double u = cs__pcg64_random(&w->rng), uz = u * w->zetan;
    int64_t total;
    if (uz < 1.0)
      total = s->min_tokens;
    else if (uz < 1.0 + w->half_pow_theta)
      total = (int64_t)s->min_tokens + 1;
    else
      total = s->min_tokens + (int64_t)((double)w->items * pow(w->eta * u - w->eta + 1.0, w->alpha));
    double d = (double)total / (1.0 + s->pd_ratio);
    o->decode = (int32_t)d;
    o->prefill = (int32_t)((double)total - d);
    break;
  }
  }
  if (o->prefill < 1 || o->decode < 1)
    return cs_err_set(err, CS_ERANGE, "workload: request %" PRId64 ": lengths prefill %d, decode %d must be positive "
                      "(raise min_tokens or lower pd_ratio)", w->produced + 1, o->prefill, o->decode);
  if (s->max_seq_len && (int64_t)o->prefill + o->decode > s->max_seq_len)
    return cs_err_set(err, CS_ERANGE, "workload: request %" PRId64 ": prefill %d + decode %d exceeds max_seq_len %" PRId64,
                      w->produced + 1, o->prefill, o->decode, s->max_seq_len);
  return 0;
}

int cs_workload_next(cs_workload *w, cs_request_spec *out, cs_err *err) {
  const cs_workload_spec *s = &w->s;
  /* §2.1 (V1): stop on num_requests, or once the previous arrival reached the duration */
  if (s->num_requests && w->produced >= s->num_requests) return 0;
  if (s->duration > 0 && w->last >= s->duration) return 0;
  if (s->arrival == CS_ARRIVAL_TRACE && w->produced >= (int64_t)s->trace->n) return 0;
  if (!s->num_requests && !(s->duration > 0) && s->length == CS_LENGTH_TRACE && w->row >= s->trace->n)
    return 0; /* no other end given: one pass over the trace */
  double at = next_arrival(w); /* interval before lengths: Vidur's draw order */
  int rc = next_lengths(w, out, err);
  if (rc) return rc;
  out->arrived_at = at;
  w->last = at;
  w->produced++;
  return 1;
}
