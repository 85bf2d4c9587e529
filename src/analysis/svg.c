/* SVG plots for the report (see svg.h for why we write our own). Coordinates are printed with
 * two decimals, so the same data always gives the same bytes. */
#include "analysis/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ML 64  /* margins: left (y tick labels + label), right, top (title), bottom (x ticks + label) */
#define MR 16
#define MT 30
#define MB 46

double cs__svg_nice(double x, bool round) {
  if (!(x > 0) || !isfinite(x)) return 1.0;
  double e = floor(log10(x));
  double f = x / pow(10, e), nf;
  if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * pow(10, e);
}

int cs__svg_ticks(double lo, double hi, int want, double *ticks, int cap, double *nlo, double *nhi) {
  if (!isfinite(lo) || !isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) {
    double t = lo;
    lo = hi;
    hi = t;
  }
  if (hi - lo <= fabs(hi) * 1e-12) { /* one value: widen around it */
    double pad = lo == 0 ? 1 : fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  if (want < 2) want = 2;
  double range = cs__svg_nice(hi - lo, false);
  double d = cs__svg_nice(range / (want - 1), true);
  double glo = floor(lo / d) * d, ghi = ceil(hi / d) * d;
  int n = 0;
  for (double t = glo; t <= ghi + 0.5 * d && n < cap; t += d) ticks[n++] = fabs(t) < d * 1e-9 ? 0.0 : t;
  *nlo = glo;
  *nhi = ghi;
  return n;
}

/* digits with a thousands separator every three, then the fraction as printed */
static void group_thousands(const char *in, char *buf, size_t size) {
  const char *digits = in + (*in == '-'), *dot = strchr(digits, '.');
  size_t nint = dot ? (size_t)(dot - digits) : strlen(digits), k = 0;
  if (*in == '-' && k + 1 < size) buf[k++] = '-';
  for (size_t i = 0; i < nint && k + 2 < size; i++) {
    if (i && (nint - i) % 3 == 0) buf[k++] = ',';
    buf[k++] = digits[i];
  }
  snprintf(buf + k, size - k, "%s", dot ? dot : "");
}

void cs__svg_fmt_num(double v, char *buf, size_t size) {
  char raw[64];
  double a = fabs(v);
  if (!isfinite(v)) {
    snprintf(buf, size, "%s", isnan(v) ? "n/a" : v > 0 ? "inf" : "-inf");
    return;
  }
  if (a >= 1e15 || (a > 0 && a < 1e-7)) { /* not an ordinary number: the exponent is the honest form */
    snprintf(buf, size, "%.3g", v);
    return;
  }
  int dec = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a == 0 ? 0 : (int)ceil(-log10(a)) + 2;
  if (dec > 9) dec = 9;
  snprintf(raw, sizeof raw, "%.*f", dec, v);
  if (strchr(raw, '.')) { /* "7.50" -> "7.5", "3.00" -> "3" */
    char *e = raw + strlen(raw) - 1;
    while (*e == '0') *e-- = '\0';
    if (*e == '.') *e = '\0';
  }
  if (!strcmp(raw, "-0")) snprintf(raw, sizeof raw, "0");
  group_thousands(raw, buf, size);
}

void cs__svg_fmt_tick(double v, double step, char *buf, size_t size) {
  int dec = step > 0 ? (int)ceil(-log10(step) - 1e-9) : 0;
  if (dec < 0) dec = 0;
  if (dec > 9 || fabs(v) >= 1e15) {
    cs__svg_fmt_num(v, buf, size);
    return;
  }
  char raw[64];
  snprintf(raw, sizeof raw, "%.*f", dec, v);
  group_thousands(raw, buf, size);
}

void cs__svg_escape(cs__sbuf *out, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&': cs__sbuf_adds(out, "&amp;"); break;
    case '<': cs__sbuf_adds(out, "&lt;"); break;
    case '>': cs__sbuf_adds(out, "&gt;"); break;
    case '"': cs__sbuf_adds(out, "&quot;"); break;
    case '\'': cs__sbuf_adds(out, "&#39;"); break;
    default: cs__sbuf_addc(out, *s);
    }
  }
}

static void text(cs__sbuf *out, double x, double y, const char *anchor, const char *cls, const char *s, int rotate) {
  cs__sbuf_addf(out, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" class=\"%s\"", x, y, anchor, cls);
  if (rotate) cs__sbuf_addf(out, " transform=\"rotate(%d %.2f %.2f)\"", rotate, x, y);
  cs__sbuf_addc(out, '>');
  cs__svg_escape(out, s);
  cs__sbuf_adds(out, "</text>\n");
}

static void open_svg(cs__sbuf *out, int w, int h, const char *title, const char *kind, size_t npoints) {
  cs__sbuf_addf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cs-plot cs-%s\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" data-points=\"%zu\" role=\"img\" aria-label=\"",
                kind, w, h, w, h, npoints);
  cs__svg_escape(out, title ? title : "");
  cs__sbuf_adds(out, "\">\n");
  cs__sbuf_addf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", w, h);
  if (title) text(out, w / 2.0, 18, "middle", "cs-title", title, 0);
}

typedef struct frame {
  double x0, x1, y0, y1; /* data range */
  double px0, px1, py0, py1; /* pixel box: left, right, top, bottom */
} frame;

/* Data map into the frame inset by INSET pixels, so markers on the extremes stay inside it. */
#define INSET 6.0
static double fx(const frame *f, double x) {
  return f->px0 + INSET + (x - f->x0) / (f->x1 - f->x0) * (f->px1 - f->px0 - 2 * INSET);
}
static double fy(const frame *f, double y) {
  return f->py1 - INSET - (y - f->y0) / (f->y1 - f->y0) * (f->py1 - f->py0 - 2 * INSET);
}

static void axes(cs__sbuf *out, frame *f, double xlo, double xhi, double ylo, double yhi, const char *xlabel,
                 const char *ylabel, bool xticks) {
  double xt[32], yt[32];
  int nx = 0, ny = cs__svg_ticks(ylo, yhi, 6, yt, 32, &f->y0, &f->y1);
  if (xticks) nx = cs__svg_ticks(xlo, xhi, 6, xt, 32, &f->x0, &f->x1);
  cs__sbuf_adds(out, "<g class=\"cs-axes\">\n");
  char b[48];
  for (int i = 0; i < ny; i++) {
    double y = fy(f, yt[i]);
    cs__sbuf_addf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" class=\"cs-grid\"/>\n", f->px0, y, f->px1, y);
    cs__svg_fmt_tick(yt[i], ny > 1 ? yt[1] - yt[0] : 1, b, sizeof b);
    text(out, f->px0 - 6, y + 4, "end", "cs-tick", b, 0);
  }
  for (int i = 0; i < nx; i++) {
    double x = fx(f, xt[i]);
    cs__sbuf_addf(out, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" class=\"cs-grid\"/>\n", x, f->py0, x, f->py1);
    cs__svg_fmt_tick(xt[i], nx > 1 ? xt[1] - xt[0] : 1, b, sizeof b);
    text(out, x, f->py1 + 16, "middle", "cs-tick", b, 0);
  }
  cs__sbuf_addf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" class=\"cs-frame\"/>\n", f->px0, f->py0,
                f->px1 - f->px0, f->py1 - f->py0);
  cs__sbuf_adds(out, "</g>\n");
  if (xlabel) text(out, (f->px0 + f->px1) / 2, f->py1 + 36, "middle", "cs-label", xlabel, 0);
  if (ylabel) text(out, 14, (f->py0 + f->py1) / 2, "middle", "cs-label", ylabel, -90);
}

void cs__svg_xy(cs__sbuf *out, const cs__svg_plot *p) {
  int w = p->width > 0 ? p->width : 440, h = p->height > 0 ? p->height : 300;
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  size_t npts = 0;
  for (size_t s = 0; s < p->nseries; s++)
    for (size_t i = 0; i < p->series[s].n; i++) {
      double x = p->series[s].x[i], y = p->series[s].y[i];
      if (!isfinite(x) || !isfinite(y)) continue;
      xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
      npts++;
    }
  open_svg(out, w, h, p->title, "xy", npts);
  if (!npts) {
    text(out, w / 2.0, h / 2.0, "middle", "cs-nodata", "no data", 0);
    cs__sbuf_adds(out, "</svg>\n");
    return;
  }
  if (p->y_from_zero) ylo = fmin(ylo, 0), yhi = fmax(yhi, 0);
  if (p->x_from_zero) xlo = fmin(xlo, 0), xhi = fmax(xhi, 0);
  int nleg = 0;
  for (size_t s = 0; s < p->nseries; s++) nleg += p->series[s].name != NULL;
  /* the legend sits between the title and the frame, one entry per line, never over data */
  frame f = {0, 1, 0, 1, ML, w - MR, MT + 14 * nleg, h - MB};
  axes(out, &f, xlo, xhi, ylo, yhi, p->xlabel, p->ylabel, true);
  int legend = 0;
  for (size_t s = 0; s < p->nseries; s++) {
    const cs__svg_series *S = &p->series[s];
    const char *color = S->color ? S->color : "#1f77b4";
    if (S->kind != CS__SVG_SCATTER) {
      cs__sbuf_addf(out, "<polyline class=\"cs-line\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", color);
      for (size_t i = 0; i < S->n; i++)
        if (isfinite(S->x[i]) && isfinite(S->y[i])) cs__sbuf_addf(out, "%.2f,%.2f ", fx(&f, S->x[i]), fy(&f, S->y[i]));
      cs__sbuf_adds(out, "\"/>\n");
    }
    if (S->kind != CS__SVG_LINE) {
      double r = S->radius > 0 ? S->radius : 3.5;
      for (size_t i = 0; i < S->n; i++) {
        if (!isfinite(S->x[i]) || !isfinite(S->y[i])) continue;
        cs__sbuf_addf(out, "<circle class=\"cs-point\" cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" fill=\"%s\">", fx(&f, S->x[i]),
                      fy(&f, S->y[i]), r, color);
        if (S->tips && S->tips[i]) {
          cs__sbuf_adds(out, "<title>");
          cs__svg_escape(out, S->tips[i]);
          cs__sbuf_adds(out, "</title>");
        }
        cs__sbuf_adds(out, "</circle>\n");
      }
    }
    if (S->name) {
      double ly = MT + 6 + 14 * legend++;
      cs__sbuf_addf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"10\" height=\"10\" fill=\"%s\" class=\"cs-legend\"/>\n",
                    f.px0, ly - 9, color);
      text(out, f.px0 + 14, ly, "start", "cs-legend-text", S->name, 0);
    }
  }
  cs__sbuf_adds(out, "</svg>\n");
}

void cs__svg_bars(cs__sbuf *out, const char *title, const char *ylabel, const char *const *labels,
                  const double *values, size_t n, const char *color, int width, int height) {
  int w = width > 0 ? width : 440, h = height > 0 ? height : 300;
  double yhi = 0;
  size_t npts = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(values[i])) yhi = fmax(yhi, values[i]), npts++;
  open_svg(out, w, h, title, "bars", npts);
  if (!npts) {
    text(out, w / 2.0, h / 2.0, "middle", "cs-nodata", "no data", 0);
    cs__sbuf_adds(out, "</svg>\n");
    return;
  }
  frame f = {0, 1, 0, 1, ML, w - MR, MT, h - MB - 24};
  axes(out, &f, 0, 1, 0, yhi, NULL, ylabel, false); /* the frame's inset leaves room for value labels */
  double slot = (f.px1 - f.px0) / (double)n, bw = slot * 0.62;
  size_t longest = 0;
  for (size_t i = 0; i < n; i++) longest = strlen(labels[i]) > longest ? strlen(labels[i]) : longest;
  bool rotate = (double)longest * 6.5 > slot; /* labels wider than their slot are slanted */
  char b[48];
  for (size_t i = 0; i < n; i++) {
    double cx = f.px0 + slot * ((double)i + 0.5);
    if (isfinite(values[i])) {
      double top = fy(&f, values[i]), base = fy(&f, 0);
      cs__sbuf_addf(out, "<rect class=\"cs-bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">",
                    cx - bw / 2, top, bw, base - top, color ? color : "#1f77b4");
      cs__sbuf_adds(out, "<title>");
      cs__svg_escape(out, labels[i]);
      cs__svg_fmt_num(values[i], b, sizeof b);
      cs__sbuf_adds(out, ": ");
      cs__svg_escape(out, b);
      cs__sbuf_adds(out, "</title></rect>\n");
      cs__svg_fmt_num(values[i], b, sizeof b);
      text(out, cx, top - 4, "middle", "cs-value", b, 0);
    } else {
      text(out, cx, fy(&f, 0) - 4, "middle", "cs-value", "n/a", 0);
    }
    if (rotate) text(out, cx + 3, f.py1 + 12, "end", "cs-tick", labels[i], -25);
    else text(out, cx, f.py1 + 16, "middle", "cs-tick", labels[i], 0);
  }
  cs__sbuf_adds(out, "</svg>\n");
}
