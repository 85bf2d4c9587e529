/* results.csv: one row per job, the schema of the store's format version CS_STORE_VERSION.
 * The column list below is the only place the file's layout is written down: the runner fills
 * cells by column, the store writes them in this order through the one CSV field writer, and
 * the analysis finds columns by these names. Columns DEPLOYMENT .. QPS_PER_GPU are written only
 * by a sweep with a disaggregation section, EP and DP only by a sweep with ep_dimensions.
 * Ownership: a cs__store_results owns its text and the cells of the row being filled. */
#ifndef CS_STORE_RESULTS_H
#define CS_STORE_RESULTS_H

#include <stdbool.h>

#include "util/sbuf.h"

#define CS_STORE_RESULTS_COLUMNS(X)                                                                         \
  X(HASH, "job_hash") X(MODEL, "model") X(TRACE, "trace") X(DEVICE, "device") X(NETWORK, "network_device")   \
  X(GPN, "gpus_per_node") X(GSCHED, "global_scheduler") X(TOL, "tolerance_factor") X(TOPK, "top_k")          \
  X(QUEUE, "request_queue") X(RSCHED, "replica_scheduler") X(CHUNK, "chunk_size") X(TP, "tp") X(PP, "pp")    \
  X(BS, "batch_size") X(SLO, "slo_name") X(SEARCH, "search_for") X(NREP, "num_replicas")                    \
  X(QPS0, "start_qps") X(NREQ, "num_requests") X(GPUS, "num_gpus") X(PRICE, "price_per_gpu_hour")           \
  X(COST, "cost_per_hour") X(ANSWER_QPS, "answer_qps") X(ANSWER_REPLICAS, "answer_replicas")                 \
  X(QPS_PER_DOLLAR, "qps_per_dollar") X(PROBES, "probes") X(STATUS, "status") X(REASON, "reason")            \
  X(LENGTH_LIMIT, "length_limit") X(OVERLONG_ROWS, "overlong_rows") X(OVERLONG_POLICY, "overlong_policy")    \
  X(ANSWER_KIND, "answer_kind") X(SUSTAINED_QPS, "sustained_qps") X(DEPLOYMENT, "deployment")                \
  X(PREFILL_REPLICAS, "prefill_replicas") X(PREFILL_TP, "prefill_tp") X(PREFILL_PP, "prefill_pp")            \
  X(DECODE_REPLICAS, "decode_replicas") X(DECODE_TP, "decode_tp") X(DECODE_PP, "decode_pp")                  \
  X(QPS_PER_GPU, "qps_per_gpu") X(EP, "ep") X(DP, "dp")

typedef enum cs__rcol {
#define CS__RC_ENUM(id, name) CS__RC_##id,
  CS_STORE_RESULTS_COLUMNS(CS__RC_ENUM)
#undef CS__RC_ENUM
  CS__RC_COUNT
} cs__rcol;
#define CS__RC_DISAGG_FIRST CS__RC_DEPLOYMENT
#define CS__RC_EP_FIRST CS__RC_EP

/* The column names in file order. */
extern const char *const cs__store_results_cols[CS__RC_COUNT];

typedef struct cs__store_results {
  cs__sbuf text;
  bool on[CS__RC_COUNT];      /* the columns this file has */
  char *cell[CS__RC_COUNT];   /* the row being filled; NULL = empty */
} cs__store_results;

/* Starts the file with its header (the pool columns with disagg_columns). */
void cs__store_results_init(cs__store_results *t, bool disagg_columns);
/* The same, with ep and dp when ep_columns. */
void cs__store_results_init_cols(cs__store_results *t, bool disagg_columns, bool ep_columns);
/* Cells of the current row (a cell set twice keeps the last value; columns the file does not
 * have are ignored). Numbers: Python's repr, shortest round-trip, with an integral ".0" dropped ("160",
 * "5.28125", "1e-05"); a cell left unset is empty (how a missing number is written). */
void cs__store_results_str(cs__store_results *t, cs__rcol c, const char *s);
void cs__store_results_num(cs__store_results *t, cs__rcol c, double v);
void cs__store_results_int(cs__store_results *t, cs__rcol c, long long v);
/* Writes the current row (cells not set are empty) and starts the next. */
void cs__store_results_row(cs__store_results *t);
/* The file's text (malloc'd); t is released. */
char *cs__store_results_finish(cs__store_results *t);

#endif
