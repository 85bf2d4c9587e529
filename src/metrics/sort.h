/* Fast ascending sort of doubles (LSD radix sort on order-preserving bit patterns, insertion sort
 * for short arrays). NaNs sort last; -0.0 comes out as 0.0. Used for quantile tables, which sort
 * tens of thousands of batch values per simulation: qsort's callback made that the simulator's
 * hottest path.
 * Ownership: sorts in place; allocates one temporary buffer of n values (the array itself is
 * the other). */
#ifndef CS_METRICS_SORT_H
#define CS_METRICS_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "capsearch/metrics.h"

void cs__sort_doubles(double *v, size_t n);
/* Where pandas' quantile q of n sorted samples falls: sorted[*i] alone (*t = 0) or between
 * sorted[*i] and sorted[*i + 1] at fraction *t (metrics.c). */
void cs__quantile_pos(size_t n, double q, size_t *i, double *t);

/* The element of rank r (0-based) of the union of k arrays, each sorted by cs__sort_doubles,
 * without merging them: a binary search over the sort's 64-bit keys, counting with one binary
 * search per array (64 x k x log n steps), so a few quantiles of millions of values cost
 * microseconds. *key_lo bounds the answer's key from below (0 at first) and receives it, so
 * increasing ranks can continue from there. Equals sorting the concatenation and reading
 * index r, bit for bit (NaN included). */
double cs__parts_rank(const double *const *parts, const size_t *np, size_t k, size_t r, uint64_t *key_lo);

/* The 101-row table (cs_quantile_table_build's bytes) of a sorted array, and of the union of
 * k sorted arrays (metrics.c; sorted by cs__sort_doubles). The latter searches ranks with
 * cs__parts_rank when that is cheaper than sorting a copy of the union, and sorts a copy
 * otherwise; the table is the same either way. */
void cs__quantile_table_sorted(const double *sorted, size_t n, cs_quantile_table *out);
void cs__quantile_table_parts(const double *const *parts, const size_t *np, size_t k, cs_quantile_table *out);

#endif
