/* A small SVG plot writer for the HTML report: axes with "nice number" ticks (Heckbert,
 * Graphics Gems 1990), line / scatter series, bar charts, a legend, XML escaping.
 * Why our own: the report must be one self-contained file without JavaScript or network, and no
 * plotting library usable from C on Debian (gnuplot, PLplot, cairo) produces inline SVG without
 * a heavy runtime dependency or a subprocess; 300 lines of tested code do what we need.
 * Ownership: plots and series borrow their arrays and strings; output is appended to a cs__sbuf.
 * Every data point is an element with class "cs-point" (scatter) or "cs-bar" (bars), and lines are
 * polylines with class "cs-line", so tests can count what was drawn. */
#ifndef CS_ANALYSIS_SVG_H
#define CS_ANALYSIS_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sbuf.h"

typedef enum cs__svg_kind { CS__SVG_LINE, CS__SVG_SCATTER, CS__SVG_LINE_POINTS } cs__svg_kind;

typedef struct cs__svg_series {
  const char *name;        /* legend entry; NULL = not in the legend */
  const char *color;       /* CSS colour, e.g. "#1f77b4" */
  cs__svg_kind kind;
  const double *x, *y;     /* n points; non-finite points are skipped */
  size_t n;
  const char *const *tips; /* optional per-point tooltip text (<title>), may be NULL */
  double radius;           /* marker radius, 0 = 3.5 */
} cs__svg_series;

typedef struct cs__svg_plot {
  const char *title, *xlabel, *ylabel;
  int width, height;       /* 0 = 440 x 300 */
  const cs__svg_series *series;
  size_t nseries;
  bool y_from_zero;        /* include 0 in the y range */
  bool x_from_zero;
} cs__svg_plot;

/* Heckbert's nice number: a 1, 2, 5 or 10 multiple of a power of ten near x (rounded or the next
 * one up). */
double cs__svg_nice(double x, bool round);
/* Nice ticks covering [lo, hi] with about `want` ticks; writes at most cap ticks and the nice
 * range into *nlo and *nhi; returns the count. A zero-width range is widened around its value. */
int cs__svg_ticks(double lo, double hi, int want, double *ticks, int cap, double *nlo, double *nhi);
/* Formats a tick value with just the decimals its step needs ("0.25", "1,500", "0.00001"). */
void cs__svg_fmt_tick(double v, double step, char *buf, size_t size);
/* A number for people: no exponent below 1e15, thousands separated, three significant digits
 * for small values, trailing zeros dropped ("4,100", "7.53", "0.0369", "12"); "n/a", "inf". */
void cs__svg_fmt_num(double v, char *buf, size_t size);
/* XML text / attribute escaping (& < > " '). */
void cs__svg_escape(cs__sbuf *out, const char *s);

/* An x/y plot; a plot without any finite point says "no data". */
void cs__svg_xy(cs__sbuf *out, const cs__svg_plot *p);
/* A bar chart of n labelled values (non-finite values drawn as "n/a"). */
void cs__svg_bars(cs__sbuf *out, const char *title, const char *ylabel, const char *const *labels,
                  const double *values, size_t n, const char *color, int width, int height);

#endif
