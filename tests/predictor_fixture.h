/* Hand-built catalog entries for the predictor tests, so they do not depend on configs/:
 * Llama-2-70B and an A100-80GB in an a100_pairwise_nvlink node (vidur-semantics.md §5.2,
 * anchors.md §8). Header-only; include it in one test file. */
#ifndef CS_TEST_PREDICTOR_FIXTURE_H
#define CS_TEST_PREDICTOR_FIXTURE_H

#include "capsearch/catalog.h"

static cs_model llama70(void) {
  cs_model m = {0};
  m.name = "meta-llama/Llama-2-70b-hf";
  m.num_layers = 80;
  m.num_q_heads = 64;
  m.num_kv_heads = 8;
  m.head_dim = 128;
  m.hidden = 8192;
  m.mlp_hidden = 28672;
  m.gated_mlp = true;
  m.post_attn_norm = true;
  m.vocab = 32000;
  m.weight_bytes = 2;
  return m;
}

static cs_device a100(void) {
  cs_device d = {0};
  d.name = "a100";
  d.arch = "ampere";
  d.memory_gb = 80;
  d.tflops_bf16 = 312;
  d.hbm_gbps = 2039;
  d.link_gbps = 300;
  return d;
}

static cs_network nvlink4(void) {
  cs_network n = {0};
  n.name = "a100_pairwise_nvlink";
  n.device = "a100";
  n.devices_per_node = 4;
  n.intra_bw_gbps = 300;
  n.intra_latency_us = 5;
  n.inter_bw_gbps = 25;
  n.inter_latency_us = 10;
  return n;
}

#endif
