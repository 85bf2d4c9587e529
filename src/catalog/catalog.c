/* The catalog object: loads configs/{models,devices,networks}.yaml into immutable arrays and
 * finds entries by name or alias (case-insensitive), with "did you mean" on a miss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog_int.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/text.h"

struct cs_catalog {
  cs__arena mem; /* every string and alias array */
  CS__VEC(cs_model) models;
  CS__VEC(const char **) model_aliases;
  CS__VEC(cs_device) devices;
  CS__VEC(const char **) device_aliases;
  CS__VEC(cs_network) networks;
};

/* Loads `dir/file`, checks that the root is a mapping with a sequence under `list`. */
static int load_doc(const char *dir, const char *file, cs__ydoc *doc, const char *list, const cs__ynode **seq,
                    const char *const *top_keys, cs_err *err) {
  char *path = cs__path_join(dir, file);
  int rc = cs__ydoc_load_file(doc, path, err);
  free(path);
  if (rc) return rc;
  if (!doc->root) return cs_err_set(err, CS_ECONFIG, "%s: empty file (expected a mapping with '%s:')", doc->file, list);
  if ((rc = cs__y_expect(doc, doc->root, CS_Y_MAP, "the top level", err))) return rc;
  if ((rc = cs__y_check_keys(doc, doc->root, top_keys, "the top level", err))) return rc;
  *seq = cs__ymap_get(doc->root, list);
  if (!*seq) return cs_err_set(err, CS_ECONFIG, "%s:1:1: missing key '%s'", doc->file, list);
  return cs__y_expect(doc, *seq, CS_Y_SEQ, list, err);
}

/* Every name (name, short name, aliases) is unique across entries of one kind. */
static int check_unique(const cs__ydoc *d, const cs__ynode *where, const char *kind, const char *name,
                        const char *const *existing, size_t n, cs_err *err) {
  for (size_t i = 0; i < n; i++)
    if (!strcasecmp(existing[i], name)) {
      char w[512];
      cs__y_where(d, where, w, sizeof w);
      return cs_err_set(err, CS_ECONFIG, "%s: %s name '%s' is used twice", w, kind, name);
    }
  return 0;
}

static int load_models(cs_catalog *c, const char *dir, cs_err *err) {
  cs__ydoc doc = {0};
  const cs__ynode *seq;
  static const char *const top[] = {"models", NULL};
  int rc = load_doc(dir, "models.yaml", &doc, "models", &seq, top, err);
  CS__VEC(const char *) names = {0};
  for (size_t i = 0; !rc && i < seq->n; i++) {
    cs_model m;
    const char **al;
    if ((rc = cs__parse_model(&doc, seq->items[i], &c->mem, &m, &al, err))) break;
    const char *mine[3] = {m.name, m.short_name, NULL};
    for (size_t k = 0; !rc && mine[k]; k++) {
      if (k == 1 && !strcasecmp(mine[1], mine[0])) continue;
      rc = check_unique(&doc, seq->items[i], "model", mine[k], names.v, names.n, err);
    }
    for (size_t k = 0; !rc && al[k]; k++) rc = check_unique(&doc, seq->items[i], "model", al[k], names.v, names.n, err);
    if (rc) break;
    cs__vec_push(&names, m.name);
    if (strcasecmp(m.short_name, m.name)) cs__vec_push(&names, m.short_name);
    for (size_t k = 0; al[k]; k++) cs__vec_push(&names, al[k]);
    cs__vec_push(&c->models, m);
    cs__vec_push(&c->model_aliases, al);
  }
  free(names.v);
  cs__ydoc_free(&doc);
  return rc;
}

static int load_devices(cs_catalog *c, const char *dir, cs_err *err) {
  cs__ydoc doc = {0};
  const cs__ynode *seq;
  static const char *const top[] = {"architectures", "devices", NULL};
  int rc = load_doc(dir, "devices.yaml", &doc, "devices", &seq, top, err);
  CS__VEC(cs__arch_limit) archs = {0};
  CS__VEC(const char *) names = {0};
  const cs__ynode *am = rc ? NULL : cs__ymap_get(doc.root, "architectures");
  if (!rc && !am) rc = cs_err_set(err, CS_ECONFIG, "%s:1:1: missing key 'architectures'", doc.file);
  if (!rc) rc = cs__y_expect(&doc, am, CS_Y_MAP, "architectures", err);
  for (size_t i = 0; !rc && i < am->n; i++) {
    cs__arch_limit a;
    if (!(rc = cs__parse_arch(&doc, am->keys[i], am->items[i], &c->mem, &a, err))) cs__vec_push(&archs, a);
  }
  for (size_t i = 0; !rc && i < seq->n; i++) {
    cs_device dv;
    const char **al;
    if ((rc = cs__parse_device(&doc, seq->items[i], &c->mem, archs.v, archs.n, &dv, &al, err))) break;
    rc = check_unique(&doc, seq->items[i], "device", dv.name, names.v, names.n, err);
    for (size_t k = 0; !rc && al[k]; k++) rc = check_unique(&doc, seq->items[i], "device", al[k], names.v, names.n, err);
    if (rc) break;
    cs__vec_push(&names, dv.name);
    for (size_t k = 0; al[k]; k++) cs__vec_push(&names, al[k]);
    cs__vec_push(&c->devices, dv);
    cs__vec_push(&c->device_aliases, al);
  }
  free(names.v);
  free(archs.v);
  cs__ydoc_free(&doc);
  return rc;
}

static int load_networks(cs_catalog *c, const char *dir, cs_err *err) {
  cs__ydoc doc = {0};
  const cs__ynode *seq;
  static const char *const top[] = {"networks", NULL};
  int rc = load_doc(dir, "networks.yaml", &doc, "networks", &seq, top, err);
  for (size_t i = 0; !rc && i < seq->n; i++) {
    cs_network n;
    if ((rc = cs__parse_network(&doc, seq->items[i], &c->mem, &n, err))) break;
    char w[512];
    for (size_t k = 0; k < c->networks.n; k++)
      if (!strcasecmp(c->networks.v[k].name, n.name)) {
        cs__y_where(&doc, seq->items[i], w, sizeof w);
        rc = cs_err_set(err, CS_ECONFIG, "%s: network name '%s' is used twice", w, n.name);
      }
    const cs_device *dv;
    cs_err e2;
    if (!rc && cs_catalog_find_device(c, n.device, &dv, &e2)) {
      cs__y_where(&doc, cs__ymap_get(seq->items[i], "device"), w, sizeof w);
      rc = cs_err_set(err, CS_ECONFIG, "%s: network '%s': %s (in devices.yaml)", w, n.name, e2.msg);
    }
    if (rc) break;
    n.device = dv->name; /* canonical key, even when the file used an alias */
    cs__vec_push(&c->networks, n);
  }
  cs__ydoc_free(&doc);
  return rc;
}

int cs_catalog_load(const char *dir, cs_catalog **out, cs_err *err) {
  *out = NULL;
  if (!dir || !*dir) return cs_err_set(err, CS_EINVAL, "catalog directory not given");
  if (!cs__is_dir(dir))
    return cs_err_set(err, CS_ENOENT, "%s: catalog directory not found (expected models.yaml, devices.yaml, "
                                      "networks.yaml; set --config-dir or CAPSEARCH_CONFIG_DIR)", dir);
  cs_catalog *c = cs__xcalloc(1, sizeof *c);
  cs__arena_init(&c->mem, 64 * 1024);
  int rc = load_models(c, dir, err);
  if (!rc) rc = load_devices(c, dir, err);
  if (!rc) rc = load_networks(c, dir, err);
  if (rc) {
    cs_catalog_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

void cs_catalog_free(cs_catalog *c) {
  if (!c) return;
  free(c->models.v);
  free(c->model_aliases.v);
  free(c->devices.v);
  free(c->device_aliases.v);
  free(c->networks.v);
  cs__arena_release(&c->mem);
  free(c);
}

size_t cs_catalog_num_models(const cs_catalog *c) { return c ? c->models.n : 0; }
const cs_model *cs_catalog_model_at(const cs_catalog *c, size_t i) { return c && i < c->models.n ? &c->models.v[i] : NULL; }
size_t cs_catalog_num_devices(const cs_catalog *c) { return c ? c->devices.n : 0; }
const cs_device *cs_catalog_device_at(const cs_catalog *c, size_t i) {
  return c && i < c->devices.n ? &c->devices.v[i] : NULL;
}
size_t cs_catalog_num_networks(const cs_catalog *c) { return c ? c->networks.n : 0; }
const cs_network *cs_catalog_network_at(const cs_catalog *c, size_t i) {
  return c && i < c->networks.n ? &c->networks.v[i] : NULL;
}

/* Shared miss path: "unknown model 'x' (did you mean 'y'?)". */
static int unknown(const char *kind, const char *name, const char *const *cands, size_t n, cs_err *err) {
  const char *sug = cs__suggest(name, cands, n);
  if (sug) return cs_err_set(err, CS_EUNKNOWN, "unknown %s '%s' (did you mean '%s'?)", kind, name, sug);
  return cs_err_set(err, CS_EUNKNOWN, "unknown %s '%s' (see 'capsearch list %ss')", kind, name, kind);
}

int cs_catalog_find_model(const cs_catalog *c, const char *name, const cs_model **out, cs_err *err) {
  *out = NULL;
  if (!name) return cs_err_set(err, CS_EINVAL, "no model name given");
  CS__VEC(const char *) cands = {0};
  for (size_t i = 0; i < c->models.n; i++) {
    const cs_model *m = &c->models.v[i];
    if (!strcasecmp(m->name, name) || !strcasecmp(m->short_name, name)) *out = m;
    for (size_t k = 0; !*out && c->model_aliases.v[i][k]; k++)
      if (!strcasecmp(c->model_aliases.v[i][k], name)) *out = m;
    if (*out) break;
    cs__vec_push(&cands, m->name);
    cs__vec_push(&cands, m->short_name);
    for (size_t k = 0; c->model_aliases.v[i][k]; k++) cs__vec_push(&cands, c->model_aliases.v[i][k]);
  }
  int rc = *out ? 0 : unknown("model", name, cands.v, cands.n, err);
  if (!*out) {
    /* prefer suggesting the canonical id of whichever name was closest */
    const char *sug = cs__suggest(name, cands.v, cands.n);
    for (size_t i = 0; sug && i < c->models.n; i++) {
      const cs_model *m = &c->models.v[i];
      bool hit = !strcmp(sug, m->name) || !strcmp(sug, m->short_name);
      for (size_t k = 0; !hit && c->model_aliases.v[i][k]; k++) hit = !strcmp(sug, c->model_aliases.v[i][k]);
      if (hit) {
        rc = cs_err_set(err, CS_EUNKNOWN, "unknown model '%s' (did you mean '%s'?)", name, m->name);
        break;
      }
    }
  }
  free(cands.v);
  return rc;
}

int cs_catalog_find_device(const cs_catalog *c, const char *name, const cs_device **out, cs_err *err) {
  *out = NULL;
  if (!name) return cs_err_set(err, CS_EINVAL, "no device name given");
  CS__VEC(const char *) cands = {0};
  for (size_t i = 0; i < c->devices.n && !*out; i++) {
    const cs_device *d = &c->devices.v[i];
    if (!strcasecmp(d->name, name)) *out = d;
    for (size_t k = 0; !*out && c->device_aliases.v[i][k]; k++)
      if (!strcasecmp(c->device_aliases.v[i][k], name)) *out = d;
    cs__vec_push(&cands, d->name);
  }
  int rc = *out ? 0 : unknown("device", name, cands.v, cands.n, err);
  free(cands.v);
  return rc;
}

int cs_catalog_find_network(const cs_catalog *c, const char *name, const cs_network **out, cs_err *err) {
  *out = NULL;
  if (!name) return cs_err_set(err, CS_EINVAL, "no network name given");
  CS__VEC(const char *) cands = {0};
  for (size_t i = 0; i < c->networks.n && !*out; i++) {
    if (!strcasecmp(c->networks.v[i].name, name)) *out = &c->networks.v[i];
    cs__vec_push(&cands, c->networks.v[i].name);
  }
  int rc = *out ? 0 : unknown("network", name, cands.v, cands.n, err);
  free(cands.v);
  return rc;
}
