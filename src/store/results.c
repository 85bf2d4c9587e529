/* results.csv (see results.h). */
#include "store/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csvw.h"
#include "util/text.h"

const char *const cs__store_results_cols[CS__RC_COUNT] = {
#define CS__RC_NAME(id, name) name,
    CS_STORE_RESULTS_COLUMNS(CS__RC_NAME)
#undef CS__RC_NAME
};

void cs__store_results_init(cs__store_results *t, bool disagg_columns) {
  cs__store_results_init_cols(t, disagg_columns, false);
}

void cs__store_results_init_cols(cs__store_results *t, bool disagg_columns, bool ep_columns) {
  memset(t, 0, sizeof *t);
  cs__sbuf_init(&t->text);
  for (int c = 0; c < CS__RC_COUNT; c++)
    t->on[c] = c < CS__RC_DISAGG_FIRST || (c < CS__RC_EP_FIRST ? disagg_columns : ep_columns);
  for (int c = 0, n = 0; c < CS__RC_COUNT; c++) {
    if (!t->on[c]) continue;
    if (n++) cs__sbuf_addc(&t->text, ',');
    cs__csv_field(&t->text, cs__store_results_cols[c]);
  }
  cs__sbuf_addc(&t->text, '\n');
}

static void set(cs__store_results *t, cs__rcol c, char *s) {
  if ((int)c < 0 || (int)c >= CS__RC_COUNT || !t->on[c]) {
    free(s);
    return;
  }
  free(t->cell[c]);
  t->cell[c] = s;
}

void cs__store_results_str(cs__store_results *t, cs__rcol c, const char *s) { set(t, c, s ? cs__xstrdup(s) : NULL); }

void cs__store_results_num(cs__store_results *t, cs__rcol c, double v) {
  char b[32];
  cs__fmt_pyfloat(v, b);
  size_t n = strlen(b);
  if (n > 2 && !strcmp(b + n - 2, ".0")) b[n - 2] = '\0';
  set(t, c, cs__xstrdup(b));
}

void cs__store_results_int(cs__store_results *t, cs__rcol c, long long v) {
  char b[32];
  snprintf(b, sizeof b, "%lld", v);
  set(t, c, cs__xstrdup(b));
}

void cs__store_results_row(cs__store_results *t) {
  for (int c = 0, n = 0; c < CS__RC_COUNT; c++) {
    if (!t->on[c]) continue;
    if (n++) cs__sbuf_addc(&t->text, ',');
    cs__csv_field(&t->text, t->cell[c]);
    free(t->cell[c]);
    t->cell[c] = NULL;
  }
  cs__sbuf_addc(&t->text, '\n');
}

char *cs__store_results_finish(cs__store_results *t) {
  for (int c = 0; c < CS__RC_COUNT; c++) free(t->cell[c]);
  char *text = cs__sbuf_detach(&t->text);
  cs__sbuf_release(&t->text);
  return text;
}
