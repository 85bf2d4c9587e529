/* Internal contracts of the catalog module (the .c files of src/catalog only).
 * Ownership: strings a parser stores in a cs_model/cs_device/cs_network are copied into the
 * arena the caller passes; nothing points into a cs__ydoc after loading. */
#ifndef CS_CATALOG_INT_H
#define CS_CATALOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "capsearch/catalog.h"
#include "util/arena.h"
#include "util/yaml.h"

/* Bytes per element of a dtype or quantization name ("bfloat16", "fp16", "fp8_e4m3", "int4",
 * "float32", ...); 0 when the name is unknown. Case-insensitive. */
double cs__dtype_bytes(const char *name);
/* The dtype names cs__dtype_bytes knows, for "expected one of" messages. */
const char *cs__dtype_names(void);

/* The range of one architecture number (model.c declares them all, once): the cs_model field
 * name (NULL for config.json-only keys), its config.json key, the struct offset (SIZE_MAX when
 * none), lo..hi, and whether 0 in the struct means "not given". */
typedef struct cs__model_bound {
  const char *field, *hf_key;
  size_t off;
  int lo, hi;
  bool unset0;
} cs__model_bound;
/* The bound of a config.json key (its first spelling); NULL when none is declared. */
const cs__model_bound *cs__model_bound_of(const char *hf_key);

/* Checks a model's architecture numbers and fills the derived fields (head_dim, weight_bytes,
 * num_params when 0, attention defaults). `where` prefixes messages ("models.yaml:12:5: model
 * 'x'"). Fails with CS_ECONFIG naming the offending field. */
int cs__model_finish(cs_model *m, const char *where, cs_err *err);
/* Fills the layout flags vLLM's model classes imply by architecture (biases, q/k norms,
 * rotary dims); called by cs__model_finish. */
void cs__model_arch_defaults(cs_model *m);
/* Whether vLLM refuses TP `tp` for the model's quantization groups; writes the reason. */
bool cs__model_quant_tp_refusal(const cs_model *m, int tp, char *why, size_t size);
/* Whether the architecture's transformers config class ties embeddings by default. */
bool cs__arch_ties_embeddings(const char *arch);
/* Total parameters from the architecture: embeddings, LM head unless tied, attention (MHA/GQA/
 * MLA), dense or MoE MLP (routed + shared experts + router), norms. */
int64_t cs__model_param_count(const cs_model *m);

/* Quantization (quant.c). Linear kinds of one decoder layer, in cs_quant.keep16 bit order. */
enum { CS__LIN_Q, CS__LIN_K, CS__LIN_V, CS__LIN_O, CS__LIN_GATE, CS__LIN_UP, CS__LIN_DOWN, CS__LIN_EXPERTS,
       CS__LIN_KINDS };
/* A vLLM --quantization / catalog `quantization:` name -> scheme; -1 when unknown. */
int cs__quant_from_name(const char *name, cs_quant *q);
const char *cs__quant_names(void);
/* A checkpoint's quantization_config mapping -> scheme; strings copied into `mem`. */
int cs__quant_from_hf(const cs__ydoc *d, const cs__ynode *qc, cs__arena *mem, cs_quant *q, cs_err *err);
/* Resolves m->quant.ignore against every layer's linear modules (fills keep16). */
int cs__quant_resolve(cs_model *m, cs__arena *mem);
bool cs__quant_name_ignored(const cs_quant *q, const char *name);
/* Bytes of one [out x in] linear weight on one GPU under `q` (NULL or unquantized: 16-bit
 * `dtype_bytes`), scales and zero points included. */
double cs__quant_linear_bytes(const cs_quant *q, double out, double in, double dtype_bytes);

/* One architecture's sanity limits from devices.yaml `architectures:`. */
typedef struct cs__arch_limit {
  const char *name;
  double max_dense_tflops_bf16;
  bool fp8;
} cs__arch_limit;

/* Parsers of one catalog entry (a YAML mapping). Aliases are returned NULL-terminated, in the
 * arena. Errors name file:line:col. */
int cs__parse_model(const cs__ydoc *d, const cs__ynode *map, cs__arena *mem, cs_model *out,
                    const char ***aliases, cs_err *err);
int cs__parse_device(const cs__ydoc *d, const cs__ynode *map, cs__arena *mem, const cs__arch_limit *archs,
                     size_t narchs, cs_device *out, const char ***aliases, cs_err *err);
int cs__parse_network(const cs__ydoc *d, const cs__ynode *map, cs__arena *mem, cs_network *out, cs_err *err);
int cs__parse_arch(const cs__ydoc *d, const cs__ynode *key, const cs__ynode *map, cs__arena *mem,
                   cs__arch_limit *out, cs_err *err);

#endif
