/* Fast ascending sort of doubles (LSD radix sort on order-preserving bit patterns, insertion sort
 * for short arrays). NaNs sort last. Used for quantile tables, which sort tens of thousands of
 * batch values per simulation: qsort's callback made that the simulator's hottest path.
 * Ownership: sorts in place; allocates one temporary buffer of n values. */
#ifndef CS_METRICS_SORT_H
#define CS_METRICS_SORT_H

#include <stddef.h>

void cs__sort_doubles(double *v, size_t n);
/* Where pandas' quantile q of n sorted samples falls: sorted[*i] alone (*t = 0) or between
 * sorted[*i] and sorted[*i + 1] at fraction *t (metrics.c). */
void cs__quantile_pos(size_t n, double q, size_t *i, double *t);

#endif
