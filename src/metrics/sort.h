/* Fast ascending sort of doubles (LSD radix sort on order-preserving bit patterns, insertion sort
 * for short arrays). NaNs sort last. Used for quantile tables, which sort tens of thousands of
 * batch values per simulation: qsort's callback made that the simulator's hottest path.
 * Ownership: sorts in place; allocates one temporary buffer of n values. */
#ifndef CS_METRICS_SORT_H
#define CS_METRICS_SORT_H

#include <stddef.h>

void cs__sort_doubles(double *v, size_t n);

#endif
