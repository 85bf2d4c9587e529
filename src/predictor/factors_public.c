/* The public view of the roofline's per-device factors (include/capsearch/predictor.h). */
#include "predictor/internal.h"

void cs_roofline_device_factors(const cs_device *dev, cs_roofline_factors *out) {
  cs__factors f;
  cs__roofline_device_factors(dev, &f);
  *out = (cs_roofline_factors){.eff_compute = f.eff_c,
                               .eff_memory = f.eff_m,
                               .eff_comm = f.eff_comm,
                               .gemm_latency_us = f.lat_us,
                               .elem_latency_us = f.elem_lat_us,
                               .attn_eff = f.attn_eff,
                               .attn_latency_us = f.attn_lat_us,
                               .causal_weight = f.causal_w,
                               .sms = f.n_sm,
                               .borrowed = f.borrowed,
                               .calibrated_on = f.from,
                               .source = f.source};
}
