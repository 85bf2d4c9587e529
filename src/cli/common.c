#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "cli/commands.h"
#include "util/text.h"

int cs__cli_fail(const cs_err *err) {
  const char *msg = err && err->msg[0] ? err->msg : cs_strerror(err ? err->code : CS_EIO);
  fprintf(stderr, "capsearch: %s\n", msg);
  switch (err ? err->code : 0) {
  case CS_EUSAGE:
  case CS_ECONFIG:
  case CS_EUNKNOWN:
  case CS_EPARSE:
  case CS_ERANGE:
  case CS_EINFEASIBLE:
  case CS_ENOENT:
  case CS_EEXIST:
  case CS_EFORMAT:
  case CS_EINVAL:
    return CS_EXIT_USAGE;
  case CS_EINTR:
    return CS_EXIT_INTERRUPTED;
  default:
    return CS_EXIT_FAIL;
  }
}

cs__cli_path cs__cli_catalog_dir(const char *flag_value) {
  cs__cli_path p = {{0}};
  if (flag_value)
    snprintf(p.s, sizeof p.s, "%s", flag_value);
  else if (cs_catalog_locate(p.s, sizeof p.s))
    snprintf(p.s, sizeof p.s, "%s", cs_catalog_default_dir());
  return p;
}

/* Length of a long option's name in an argument "--name" or "--name=value". */
static size_t name_len(const char *s) { return strcspn(s, "="); }

static const struct option *find_long(const struct option *opts, const char *name, size_t len, size_t *nmatch) {
  const struct option *hit = NULL;
  *nmatch = 0;
  for (size_t i = 0; opts[i].name; i++) {
    if (strncmp(opts[i].name, name, len)) continue;
    if (strlen(opts[i].name) == len) { /* exact */
      *nmatch = 1;
      return &opts[i];
    }
    hit = &opts[i];
    ++*nmatch;
  }
  return *nmatch == 1 ? hit : NULL;
}

static int suggest_long(const char *cmd, const char *arg, const char *key, const struct option *opts, cs_err *err) {
  const char *names[128];
  size_t n = 0;
  for (; opts[n].name && n < 128; n++) names[n] = opts[n].name;
  const char *sug = cs__suggest(key, names, n);
  if (sug) return cs_err_set(err, CS_EUSAGE, "unknown option '%s' (did you mean '--%s'?)", arg, sug);
  return cs_err_set(err, CS_EUSAGE, "unknown option '%s'; see 'capsearch %s --help'", arg, cmd);
}

int cs__cli_option_error(const char *cmd, int argc, char **argv, const char *shortopts,
                         const struct option *longopts, cs_err *err) {
  int i = optind - 1;
  const char *arg = i >= 1 && i < argc ? argv[i] : "";
  /* an unknown letter inside a cluster ("-devcie") leaves optind on that argument */
  if (optopt > 0 && optopt < 256 && !(arg[0] == '-' && arg[1] != '-' && strchr(arg, optopt)) && optind < argc &&
      argv[optind][0] == '-' && argv[optind][1] != '-')
    arg = argv[optind];
  char key[128];
  if (arg[0] == '-' && arg[1] == '-') {
    const char *name = arg + 2;
    size_t len = name_len(name), nmatch;
    snprintf(key, sizeof key, "%.*s", (int)(len < sizeof key ? len : sizeof key - 1), name);
    const struct option *o = find_long(longopts, name, len, &nmatch);
    if (nmatch > 1) {
      char list[512] = "";
      size_t used = 0;
      for (size_t k = 0; longopts[k].name && used < sizeof list; k++)
        if (!strncmp(longopts[k].name, name, len))
          used += (size_t)snprintf(list + used, sizeof list - used, "%s--%s", used ? ", " : "", longopts[k].name);
      return cs_err_set(err, CS_EUSAGE, "option '--%s' is ambiguous (%s)", key, list);
    }
    if (!o) return suggest_long(cmd, arg, key, longopts, err);
    if (name[len] == '=' && o->has_arg == no_argument)
      return cs_err_set(err, CS_EUSAGE, "option '--%s' takes no value", o->name);
    return cs_err_set(err, CS_EUSAGE, "option '--%s' needs a value", o->name);
  }
  const char *sc = optopt > 0 && optopt < 256 ? strchr(shortopts, optopt) : NULL;
  if (sc && sc[1] == ':') return cs_err_set(err, CS_EUSAGE, "option '-%c' needs a value", optopt);
  if (arg[0] == '-' && strlen(arg) > 2) { /* "-device": a long option written with one dash */
    snprintf(key, sizeof key, "%.*s", (int)name_len(arg + 1), arg + 1);
    return suggest_long(cmd, arg, key, longopts, err);
  }
  return cs_err_set(err, CS_EUSAGE, "unknown option '-%c'; see 'capsearch %s --help'", optopt > 0 ? optopt : '?', cmd);
}

int cs__cli_bad_option(const char *cmd, int argc, char **argv, const char *shortopts, const struct option *longopts) {
  cs_err err = {0};
  cs__cli_option_error(cmd, argc, argv, shortopts, longopts, &err);
  return cs__cli_fail(&err);
}
