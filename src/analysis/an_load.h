/* Helpers shared by load.c (directory scan) and runstats.c (one probe run's statistics). */
#ifndef CS_ANALYSIS_AN_LOAD_H
#define CS_ANALYSIS_AN_LOAD_H

#include "analysis/an_int.h"
#include "util/yaml.h"

/* JSON object members (libyaml tree); false when absent, null or of the wrong kind. */
bool cs__jnum(const cs__ynode *map, const char *key, double *out);
bool cs__jbool(const cs__ynode *map, const char *key, bool *out);
const char *cs__jstr(const cs__ynode *map, const char *key);

/* Sorted entry names of a directory; NULL when unreadable. Free with cs__an_free_list. */
char **cs__an_list_dir(const char *path, size_t *n);
void cs__an_free_list(char **names, size_t n);

/* Reads a completed probe run's timestamped directory into p->st (sets p->have_stats). */
void cs__an_load_run(cs_analysis *a, const cs__job *j, cs__probe *p, const char *probe_dir);

#endif
