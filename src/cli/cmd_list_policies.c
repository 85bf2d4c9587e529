/* capsearch list schedulers|predictors|metrics: read from the policy registries
 * (cs_replica_sched_list, cs_global_sched_list, cs_request_queue_list, cs_predictor_registry)
 * and the request-metric table (cs_rm_name over CS_RM_COUNT). */
#include <string.h>

#include "capsearch/metrics.h"
#include "capsearch/predictor.h"
#include "capsearch/search.h"
#include "capsearch/sim.h"
#include "capsearch/trace.h"
#include "capsearch/util.h"

#include "cmd_list.h"
#include "commands.h"

static void params_text(const cs_param_spec *ps, size_t n, cs_sbuf *sb) {
  for (size_t i = 0; i < n; i++) {
    char b[32];
    if (ps[i].required)
      cs_sbuf_addf(sb, "%s%s (required)", i ? ", " : "", ps[i].name);
    else
      cs_sbuf_addf(sb, "%s%s=%s", i ? ", " : "", ps[i].name, cs_fmt_double(ps[i].def, b));
  }
}

static void params_json(cs_jw *w, const cs_param_spec *ps, size_t n) {
  cs_jw_key(w, "params");
  cs_jw_arr_begin(w);
  for (size_t i = 0; i < n; i++) {
    cs_jw_obj_begin(w);
    cs_jw_kstr(w, "name", ps[i].name);
    cs_jw_kbool(w, "required", ps[i].required);
    if (!ps[i].required) cs_jw_knum(w, "default", ps[i].def);
    cs_jw_knum(w, "min", ps[i].range.min);
    cs_jw_knum(w, "max", ps[i].range.max);
    cs_jw_kstr(w, "help", ps[i].help);
    cs_jw_obj_end(w);
  }
  cs_jw_arr_end(w);
}

static void policy_group(const char *title, const char *key, const cs_policy_info *const *list, bool json, cs_jw *w,
                         FILE *f) {
  if (json) {
    cs_jw_key(w, key);
    cs_jw_arr_begin(w);
  } else {
    fprintf(f, "%s:\n", title);
  }
  for (size_t i = 0; list && list[i]; i++) {
    const cs_policy_info *p = list[i];
    if (json) {
      cs_jw_obj_begin(w);
      cs_jw_kstr(w, "name", p->name);
      cs_jw_kstr(w, "summary", p->summary);
      params_json(w, p->params, p->nparams);
      cs_jw_obj_end(w);
      continue;
    }
    cs_sbuf sb;
    cs_sbuf_init(&sb);
    params_text(p->params, p->nparams, &sb);
    fprintf(f, "  %-30s %s%s%s%s\n", p->name, p->summary ? p->summary : "", sb.len ? " [" : "", sb.buf,
            sb.len ? "]" : "");
    cs_sbuf_release(&sb);
  }
  if (json)
    cs_jw_arr_end(w);
  else
    fprintf(f, "\n");
}

/* The search registry: name, what it varies, whether it takes qps_multipliers, summary. */
static void searches(bool json, cs_jw *w, FILE *f) {
  const cs_registry_entry *const *reg = cs_searches()->entries;
  if (json) cs_jw_arr_begin(w);
  for (size_t i = 0; reg[i]; i++) {
    bool reps = cs_registry_has(reg[i], CS_SEARCH_VARIES_REPLICAS);
    bool mult = cs_registry_has(reg[i], CS_SEARCH_TAKES_MULTIPLIERS);
    if (json) {
      cs_jw_obj_begin(w);
      cs_jw_kstr(w, "name", reg[i]->name);
      cs_jw_kstr(w, "varies", reps ? "num_replicas" : "qps");
      cs_jw_kbool(w, "qps_multipliers", mult);
      cs_jw_kstr(w, "summary", reg[i]->summary);
      cs_jw_obj_end(w);
    } else {
      fprintf(f, "%-14s %-14s %s%s\n", reg[i]->name, reps ? "num_replicas" : "qps", reg[i]->summary,
              mult ? " [qps_multipliers]" : "");
    }
  }
  if (json) cs_jw_arr_end(w);
}

/* The trace-format registry: name, label, what its files can carry, summary. */
static void trace_formats(bool json, cs_jw *w, FILE *f) {
  static const struct {
    unsigned flag;
    const char *name;
  } caps[] = {{CS_TRACE_HAS_ARRIVALS, "arrivals"}, {CS_TRACE_HAS_HASHES, "hashes"}, {CS_TRACE_HAS_SESSIONS, "sessions"}};
  if (json) cs_jw_arr_begin(w);
  for (int k = 1; k < CS_TRACE_FORMAT_COUNT; k++) {
    const cs_registry_entry *e = cs_trace_format_entry((cs_trace_format)k);
    if (json) {
      cs_jw_obj_begin(w);
      cs_jw_kstr(w, "name", e->name);
      cs_jw_kstr(w, "label", cs_trace_format_label((cs_trace_format)k));
      for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) cs_jw_kbool(w, caps[c].name, cs_registry_has(e, caps[c].flag));
      cs_jw_kstr(w, "summary", e->summary);
      cs_jw_obj_end(w);
    } else {
      char can[64] = "";
      for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
        if (cs_registry_has(e, caps[c].flag))
          snprintf(can + strlen(can), sizeof can - strlen(can), "%s%s", can[0] ? "," : "", caps[c].name);
      fprintf(f, "%-10s %-16s %-24s %s\n", e->name, cs_trace_format_label((cs_trace_format)k), can[0] ? can : "-",
              e->summary);
    }
  }
  if (json) cs_jw_arr_end(w);
}

int cs__list_policies(const char *kind, bool json, FILE *f, cs_err *err) {
  cs_sbuf sb;
  cs_sbuf_init(&sb);
  cs_jw w;
  cs_jw_init(&w, &sb, false);
  if (!strcmp(kind, "schedulers")) {
    if (json) cs_jw_obj_begin(&w);
    policy_group("replica schedulers (replica_schedulers[].scheduler)", "replica_schedulers", cs_replica_sched_list(),
                 json, &w, f);
    policy_group("global schedulers (global_schedulers[].scheduler)", "global_schedulers", cs_global_sched_list(),
                 json, &w, f);
    policy_group("request queues (request_queues[].name)", "request_queues", cs_request_queue_list(), json, &w, f);
    if (json) cs_jw_obj_end(&w);
  } else if (!strcmp(kind, "predictors")) {
    const cs_registry_entry *const *reg = cs_predictors()->entries;
    if (json) cs_jw_arr_begin(&w);
    for (size_t i = 0; reg && reg[i]; i++) {
      if (json) {
        cs_jw_obj_begin(&w);
        cs_jw_kstr(&w, "name", reg[i]->name);
        cs_jw_kstr(&w, "summary", reg[i]->summary);
        params_json(&w, reg[i]->params, reg[i]->nparams);
        cs_jw_obj_end(&w);
      } else {
        cs_sbuf ps;
        cs_sbuf_init(&ps);
        params_text(reg[i]->params, reg[i]->nparams, &ps);
        fprintf(f, "%-12s %s%s%s%s\n", reg[i]->name, reg[i]->summary ? reg[i]->summary : "", ps.len ? " [" : "",
                ps.buf, ps.len ? "]" : "");
        cs_sbuf_release(&ps);
      }
    }
    if (json) cs_jw_arr_end(&w);
  } else if (!strcmp(kind, "metrics")) {
    if (json) cs_jw_arr_begin(&w);
    for (int m = 0; m < CS_RM_COUNT; m++) {
      if (json) {
        cs_jw_obj_begin(&w);
        cs_jw_kstr(&w, "name", cs_rm_name((cs_rm)m));
        cs_jw_kbool(&w, "integer", cs_rm_is_integer((cs_rm)m));
        cs_jw_kbool(&w, "distribution", cs_rm_is_distribution((cs_rm)m));
        cs_jw_kstr(&w, "unit", cs_rm_unit((cs_rm)m));
        cs_jw_key(&w, "aliases");
        cs_jw_arr_begin(&w);
        for (const char *const *a = cs_rm_aliases((cs_rm)m); *a; a++) cs_jw_str(&w, *a);
        cs_jw_arr_end(&w);
        cs_jw_kstr(&w, "summary", cs_rm_summary((cs_rm)m));
        cs_jw_obj_end(&w);
      } else {
        cs_sbuf al;
        cs_sbuf_init(&al);
        for (const char *const *a = cs_rm_aliases((cs_rm)m); *a; a++)
          cs_sbuf_addf(&al, "%s%s", al.len ? ", " : " (also: ", *a);
        fprintf(f, "%-52s %-30s %-8s %s%s%s\n", cs_rm_name((cs_rm)m),
                cs_rm_is_distribution((cs_rm)m) ? "distribution (quantiles, SLOs)" : "per request",
                cs_rm_unit((cs_rm)m), cs_rm_summary((cs_rm)m), al.len ? al.buf : "", al.len ? ")" : "");
        cs_sbuf_release(&al);
      }
    }
    if (json) cs_jw_arr_end(&w);
  } else if (!strcmp(kind, "searches")) {
    searches(json, &w, f);
  } else if (!strcmp(kind, "trace-formats")) {
    trace_formats(json, &w, f);
  } else {
    cs_sbuf_release(&sb);
    return -1;
  }
  int rc = json ? cs__cli_put_json(&w, &sb, f, "the JSON of list", err) : 0;
  cs_sbuf_release(&sb);
  return rc;
}
