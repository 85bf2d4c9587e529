/* The public `predictor check` entry points (capsearch/check.h) over the calibration of
 * check.c: the held-out rows are handed over as they are, the fitted factors copied out of the
 * roofline's internal factor record into the public field names. */
#include <stdlib.h>
#include <string.h>

#include "capsearch/check.h"
#include "predictor/check.h"
#include "predictor/internal.h"

_Static_assert(CS_CHECK_NSCALE == CS__RL_NSCALE, "capsearch/check.h: CS_CHECK_NSCALE is the roofline's scale count");

static void public_fit(const cs__check_fit *f, cs_check_fit *o) {
  memset(o, 0, sizeof *o);
  memcpy(o->device, f->device, sizeof o->device);
  o->eff_compute = f->f.eff_c;
  o->eff_memory = f->f.eff_m;
  o->eff_comm = f->f.eff_comm;
  o->gemm_latency_us = f->f.lat_us;
  o->elem_latency_us = f->f.elem_lat_us;
  o->attn_eff = f->attn_eff;
  o->attn_latency_us = f->attn_lat_us;
  o->overlap_n = f->overlap_n;
  o->is_network = f->is_network;
  o->comm_latency_us = f->comm_lat_us;
  memcpy(o->scales, f->scales, sizeof o->scales);
  o->nfit = f->nfit;
  o->mean_abs_log_err = f->mean_abs_log_err;
  memcpy(o->warn, f->warn, sizeof o->warn);
  o->prof_med = f->prof_med;
  o->rl_mlp_med = f->rl_mlp_med;
  o->rl_linear_med = f->rl_linear_med;
  o->rl_all_med = f->rl_all_med;
}

int cs_predictor_check(const char *profiling_dir, const cs_catalog *cat, const char *device, const char *model,
                       bool fit_scales, cs_check_result *out, cs_err *err) {
  memset(out, 0, sizeof *out);
  cs__check_result r;
  int rc = cs__predictor_check(profiling_dir, cat, device, model, fit_scales, &r, err);
  if (rc) return rc;
  out->rows = r.rows.v; /* the same element type: handed over */
  out->nrows = r.rows.n;
  out->fits = cs__xcalloc(r.fits.n ? r.fits.n : 1, sizeof *out->fits);
  out->nfits = r.fits.n;
  for (size_t i = 0; i < r.fits.n; i++) public_fit(&r.fits.v[i], &out->fits[i]);
  free(r.fits.v);
  return 0;
}

void cs_check_result_release(cs_check_result *r) {
  free(r->rows);
  free(r->fits);
  memset(r, 0, sizeof *r);
}

const char *cs_check_scale_name(int k) {
  return k == CS__RL_DECODE ? "attn_decode" : k == CS__RL_PREFILL ? "attn_prefill" : cs__tok_op_name(k);
}
