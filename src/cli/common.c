#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsearch/catalog.h"
#include "capsearch/opt.h"
#include "capsearch/util.h"

#include "commands.h"

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

int cs__cli_put_json(const cs_jw *w, const cs_sbuf *sb, FILE *f, const char *what, cs_err *err) {
  cs_err e = {0};
  if (cs_jw_finish(w, what, &e)) return cs_err_set(err, CS_EIO, "%s", e.msg); /* a bug, not the input */
  bool nl = sb->len && sb->buf[sb->len - 1] == '\n';
  errno = 0;
  if (fputs(sb->buf, f) == EOF || (!nl && fputc('\n', f) == EOF) || fflush(f) || ferror(f))
    return cs_err_set(err, CS_EIO, "cannot write %s: %s", what, errno ? strerror(errno) : "write error");
  return 0;
}

int cs__cli_finish_stdout(int rc) {
  errno = 0;
  if (rc || (!fflush(stdout) && !ferror(stdout))) return rc; /* a failed command said why already */
  fprintf(stderr, "capsearch: cannot write the output: %s\n", errno ? strerror(errno) : "write error");
  return CS_EXIT_FAIL;
}

int cs__cli_param_arg(const char *arg, char name[64], double *value, cs_err *err) {
  static const cs_num_range any = {-1e300, 1e300, false, false};
  const char *eq = strchr(arg, '=');
  char why[256];
  if (!eq || eq == arg || (size_t)(eq - arg) >= 64 || cs_num_parse(eq + 1, &any, value, why, sizeof why))
    return cs_err_set(err, CS_EUSAGE, "--param: expected NAME=NUMBER, got '%s'", arg);
  memcpy(name, arg, (size_t)(eq - arg));
  name[eq - arg] = '\0';
  return 0;
}

int cs__cli_parse(const cs_opt_cmd *cmd, int argc, char **argv, void *args, const void *defaults, const char **pos,
                  int *npos) {
  cs_err err = {0};
  int rc = cs_opt_parse(cmd, argc, argv, args, pos, npos, &err);
  if (rc == CS_OPT_HELP_ASKED) {
    char *help = cs_opt_help_text(cmd, defaults);
    if (help) fputs(help, stdout);
    free(help);
    return CS_EXIT_OK;
  }
  return rc ? cs__cli_fail(&err) : -1;
}
