/* util: hashing, RNG streams, number formatting, YAML tree errors, atomic files. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "capsearch/params.h"
#include "cs_test.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/rng.h"
#include "util/sha1.h"
#include "util/text.h"
#include "util/yaml.h"

static void test_sha1_matches_vidur_job_hashes(void) {
  char hex[41];
  const char *k1 =
      "Meta-Llama-3-8B_mooncake_conversation_tk131072_h100_dgx_round_robin_fcfs_vllm_v1_cs512_tp1_pp1_bsz512_"
      "slottft_p99_10s_searchqps_q4_reqs12301";
  cs__sha1_hex(k1, strlen(k1), hex);
  CS_ASSERT_TRUE(!strncmp(hex, "50fc5a05", 8));
  const char *k3 =
      "Meta-Llama-3-70B_mooncake_toolagent_tk131072_a100_dgx_ranked_sticky_lop_uncached_topk4_fcfs_vllm_v1_cs1024_"
      "tp4_pp1_bsz512_slottft_p99_10s_and_tpot_p99_100ms_searchqps_q8_reqs23608";
  cs__sha1_hex(k3, strlen(k3), hex);
  CS_ASSERT_TRUE(!strncmp(hex, "ea25c7ba", 8));
  cs__sha1_hex("abc", 3, hex);
  CS_ASSERT_STR_EQ(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

static void sha1_pieces(const unsigned char *d, size_t n, unsigned seed, char hex[41]) {
  cs__sha1 s;
  cs__sha1_init(&s);
  for (size_t o = 0; o < n;) { /* fed in pieces of 0 to 200 bytes: partial, whole and mixed blocks */
    seed = seed * 1103515245u + 12345u;
    size_t k = (seed >> 8) % 201;
    if (k > n - o) k = n - o;
    cs__sha1_update(&s, d + o, k);
    o += k;
  }
  unsigned char out[20];
  cs__sha1_final(&s, out);
  for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", out[i]);
}

/* The incremental interface gives FIPS 180 digests whatever pieces the data comes in: the
 * standard vectors, and random data of every length to 300 bytes and 1 MB hashed whole and in
 * two different random splits. */
static void test_sha1_piecewise_updates_agree(void) {
  enum { BIG = 1 << 20 };
  unsigned char *d = malloc(BIG);
  for (size_t i = 0; i < BIG; i++) d[i] = 'a';
  char a[41], b[41], whole[41];
  sha1_pieces(d, 1000000, 1, a);
  CS_ASSERT_STR_EQ(a, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  sha1_pieces(d, 1000000, 2, a);
  CS_ASSERT_STR_EQ(a, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  const char *v448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  cs__sha1_hex(v448, strlen(v448), a);
  CS_ASSERT_STR_EQ(a, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  cs__sha1_hex("", 0, a);
  CS_ASSERT_STR_EQ(a, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  unsigned r = 99;
  for (size_t i = 0; i < BIG; i++) {
    r = r * 1103515245u + 12345u;
    d[i] = (unsigned char)(r >> 16);
  }
  for (size_t n = 0; n <= 300; n++) {
    cs__sha1_hex(d, n, whole);
    sha1_pieces(d, n, (unsigned)n, a);
    sha1_pieces(d, n, (unsigned)n + 7, b);
    if (strcmp(a, whole) || strcmp(b, whole)) CS__FAIL_MSG("length %zu: %s / %s / %s", n, whole, a, b);
  }
  sha1_pieces(d, BIG, 3, a);
  sha1_pieces(d, BIG, 4, b);
  CS_ASSERT_STR_EQ(a, b);
  free(d);
}

static void test_pcg64_reproduces_numpy_default_rng_42(void) {
  cs__pcg64 r;
  cs__pcg64_seed(&r, 42);
  const double want[5] = {0.7739560485559633, 0.4388784397520523, 0.8585979199113825, 0.6973680290593639,
                          0.09417734788764953};
  for (int i = 0; i < 5; i++) CS_ASSERT_DBL_EQ(cs__pcg64_random(&r), want[i]);
}

static void test_mt_reproduces_python_random_seed_42(void) {
  cs__mt r;
  cs__mt_seed(&r, 42);
  CS_ASSERT_DBL_EQ(cs__mt_random(&r), 0.6394267984578837);
  CS_ASSERT_DBL_EQ(cs__mt_random(&r), 0.025010755222666936);
  CS_ASSERT_DBL_EQ(cs__mt_random(&r), 0.27502931836911926);
}

static void test_randbelow_stays_in_range_and_consumes_for_n_1(void) {
  cs__mt a, b;
  cs__mt_seed(&a, 67);
  cs__mt_seed(&b, 67);
  CS_ASSERT_INT_EQ(cs__mt_randbelow(&a, 1), 0);
  cs__mt_next32(&b); /* n = 1 still draws one word */
  CS_ASSERT_INT_EQ(cs__mt_next32(&a), cs__mt_next32(&b));
  for (int i = 0; i < 1000; i++) CS_ASSERT_INT_LE(cs__mt_randbelow(&a, 7), 6);
}

static void test_pyfloat_formats_like_python_repr(void) {
  char b[32];
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(4.0, b), "4.0");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(5.5, b), "5.5");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(0.1, b), "0.1");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(6.125, b), "6.125");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(100.0, b), "100.0");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(0.0001, b), "0.0001");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(0.00001, b), "1e-05");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(1e16, b), "1e+16");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(123456789012345.0, b), "123456789012345.0");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(0.30000000000000004, b), "0.30000000000000004");
  CS_ASSERT_STR_EQ(cs__fmt_pyfloat(-2.5, b), "-2.5");
}

/* The reference: the fewest of 1..17 significant digits that read back, tried in order. */
static void shortest_by_linear_search(double v, char *out) {
  for (int p = 1; p <= 17; p++) {
    snprintf(out, 40, "%.*e", p - 1, v);
    if (strtod(out, NULL) == v) return;
  }
}

/* The significant digits of a decimal ("-0.00123e+5" -> "123"), trailing zeros dropped. */
static void sig_digits(const char *s, char *out) {
  size_t n = 0;
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9' && (n || *s != '0')) out[n++] = *s;
  while (n && out[n - 1] == '0') n--;
  out[n] = '\0';
}

static uint64_t xorshift(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* pyfloat's digit search (a binary search where it is provably the same) against the plain
 * search: random bit patterns over every exponent, simulated times, short decimals, powers of
 * two and their neighbours, subnormals. */
static void test_pyfloat_digits_equal_the_linear_search(void) {
  uint64_t st = 0x9E3779B97F4A7C15ull;
  char got[32], want[40];
  for (int i = 0; i < 60000; i++) {
    double v;
    uint64_t r = xorshift(&st);
    switch (i % 6) {
    case 0: memcpy(&v, &r, sizeof v); break;
    case 1: v = (double)(r >> 11) / 9007199254740992.0 * 5000.0; break;
    case 2: v = (double)(r % 100000) / 1000.0; break;
    case 3: v = ldexp(1.0, (int)(r % 2000) - 1000); break;
    case 4: v = nextafter(ldexp(1.0, (int)(r % 200) - 100), (r & 1) ? 0.0 : INFINITY); break;
    default: v = ldexp((double)(r % 1000 + 1), -1074); break;
    }
    if (i < 24) { /* decimals whose 17 digits end in 5 then zeros, carries, extremes */
      static const double fixed[] = {0.5,  1.5,   2.5,    9.5,     0.125,   1234.5,  1.25e-5, 99.5,
                                     9.95, 0.995, 1e22,   1e23,    5e-324,  2.5e-8,  1.7976931348623157e308,
                                     999999999999999.9,  0.30000000000000004, 123456789.125, 7.5e15,
                                     4.35, 0.045, 650.5, 2.675, 1.005};
      v = (r & 1) ? -fixed[i] : fixed[i];
    }
    if (!isfinite(v) || v == 0) continue;
    cs__fmt_pyfloat(v, got);
    shortest_by_linear_search(v, want);
    char dg[40], dw[40];
    sig_digits(got, dg);
    sig_digits(want, dw);
    if (strcmp(dg, dw) || strtod(got, NULL) != v) CS__FAIL_MSG("%.17g: got %s, want %s", v, got, want);
  }
}

/* cs__fmt_fixed6 against printf("%.6f") on values near the rounding ties, whole microseconds,
 * times, tiny and huge values, negatives and zeros; it declines exactly the values at or above
 * its bound and the non-finite ones. */
static void test_fixed6_equals_printf(void) {
  uint64_t st = 12345;
  char got[32], want[400];
  for (int i = 0; i < 300000; i++) {
    uint64_t r = xorshift(&st);
    double v;
    switch (i % 6) {
    case 0: v = ((double)(r % 2000000000) + 0.5) / 1e6; break;        /* near a tie */
    case 1: v = nextafter(((double)(r % 2000000000) + 0.5) / 1e6, (r & 1) ? 0 : 1e9); break;
    case 2: v = (double)(r % 4000000000ull) / 1e6; break;               /* whole microseconds */
    case 3: v = (double)(r >> 11) / 9007199254740992.0 * 20000.0; break; /* times */
    case 4: v = ldexp((double)(r >> 11), (int)(r % 80) - 90); break;    /* 1e-11 .. 1e10 */
    default: memcpy(&v, &r, sizeof v); break;
    }
    if (r & 2) v = -v;
    size_t n = cs__fmt_fixed6(v, got);
    snprintf(want, sizeof want, "%.6f", v);
    bool fast = isfinite(v) && fabs(v) < 8796093.0;
    if (fast != (n > 0)) CS__FAIL_MSG("%.17g: returned %zu", v, n);
    else if (n && (strcmp(got, want) || n != strlen(want))) CS__FAIL_MSG("%.17g: got %s, want %s", v, got, want);
  }
  const double special[] = {0.0, -0.0, 0.0000005, -0.0000005, 0.0000015, 8796092.9999995, 1e-300};
  for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
    CU_ASSERT(cs__fmt_fixed6(special[i], got) > 0);
    snprintf(want, sizeof want, "%.6f", special[i]);
    CS_ASSERT_STR_EQ(got, want);
  }
  CS_ASSERT_INT_EQ(cs__fmt_fixed6(8796093.0, got), 0);
  CS_ASSERT_INT_EQ(cs__fmt_fixed6(NAN, got), 0);
  CS_ASSERT_INT_EQ(cs__fmt_fixed6(-INFINITY, got), 0);
}

static void test_fmt_double_is_shortest_and_never_exponent_for_integers(void) {
  char b[32];
  CS_ASSERT_STR_EQ(cs__fmt_double(1020, b), "1020");
  CS_ASSERT_STR_EQ(cs__fmt_double(0.1, b), "0.1");
  CS_ASSERT_STR_EQ(cs__fmt_double(-3, b), "-3");
  CS_ASSERT_STR_EQ(cs__fmt_double(2.5e-7, b), "2.5e-07");
  CS_ASSERT_DBL_EQ(strtod(cs__fmt_double(1.0 / 3.0, b), NULL), 1.0 / 3.0);
}

static void test_suggest_finds_close_names(void) {
  const char *c[] = {"chunk_size", "batch_size_cap", "max_tokens_in_batch"};
  CS_ASSERT_STR_EQ(cs__suggest("chunk_sise", c, 3), "chunk_size");
  CS_ASSERT_TRUE(cs__suggest("zzzzzzzz", c, 3) == NULL);
  CS_ASSERT_INT_EQ(cs__edit_distance("kitten", "sitting"), 3);
  /* a short name sharing no character with any candidate gets no suggestion (analyze --price zz=3) */
  const char *dev[] = {"h100", "l4", "a100"};
  CS_ASSERT_TRUE(cs__suggest("zz", dev, 3) == NULL);
  CS_ASSERT_STR_EQ(cs__suggest("l5", dev, 3), "l4");
}

static void test_yaml_unknown_key_names_line_col_and_suggestion(void) {
  const char *y = "replica_schedulers:\n  - scheduler: vllm_v1\n    chunk_sise: 512\n";
  cs__ydoc d;
  cs_err err = {0};
  CS_ASSERT_OK(cs__ydoc_load_string(&d, "sweep.yml", y, strlen(y), &err), &err);
  const cs__ynode *rs = cs__ymap_get(d.root, "replica_schedulers");
  CS_ASSERT_TRUE(rs && rs->kind == CS_Y_SEQ && rs->n == 1);
  const char *allowed[] = {"scheduler", "chunk_size", NULL};
  int rc = cs__y_check_keys(&d, rs->items[0], allowed, "replica_schedulers[0]", &err);
  CS_ASSERT_INT_EQ(rc, CS_ECONFIG);
  CS_ASSERT_STR_EQ(err.msg, "sweep.yml:3:5: unknown key 'chunk_sise' in replica_schedulers[0] (did you mean 'chunk_size'?)");
  cs__ydoc_free(&d);
}

static void test_yaml_malformed_input_reports_position(void) {
  const char *y = "a: [1, 2\nb: 3\n";
  cs__ydoc d;
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs__ydoc_load_string(&d, "bad.yml", y, strlen(y), &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "bad.yml:");
  const char *j = "{\"num_hidden_layers\": 32, \"hidden_size\": 4096";
  CS_ASSERT_INT_EQ(cs__ydoc_load_string(&d, "config.json", j, strlen(j), &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "config.json:2:1: malformed YAML/JSON");
}

static void test_yaml_typed_reads_reject_wrong_types(void) {
  const char *y = "n: 12\nx: 2.5\nb: true\ns: abc\nq: '12'\nl: [1]\n";
  cs__ydoc d;
  cs_err err = {0};
  CS_ASSERT_OK(cs__ydoc_load_string(&d, "t.yml", y, strlen(y), &err), &err);
  int64_t i;
  double x;
  bool b;
  CS_ASSERT_OK(cs__y_int(&d, cs__ymap_get(d.root, "n"), "n", &i, &err), &err);
  CS_ASSERT_INT_EQ(i, 12);
  CS_ASSERT_OK(cs__y_double(&d, cs__ymap_get(d.root, "x"), "x", &x, &err), &err);
  CS_ASSERT_DBL_EQ(x, 2.5);
  CS_ASSERT_OK(cs__y_bool(&d, cs__ymap_get(d.root, "b"), "b", &b, &err), &err);
  CS_ASSERT_TRUE(b);
  CS_ASSERT_INT_EQ(cs__y_int(&d, cs__ymap_get(d.root, "s"), "s", &i, &err), CS_ECONFIG);
  CS_ASSERT_STR_EQ(err.msg, "t.yml:4:4: s: expected an integer, got 'abc'");
  CS_ASSERT_INT_EQ(cs__y_int(&d, cs__ymap_get(d.root, "q"), "q", &i, &err), CS_ECONFIG);
  CS_ASSERT_INT_EQ(cs__y_int(&d, cs__ymap_get(d.root, "l"), "l", &i, &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "expected an integer, got a list");
  cs__ydoc_free(&d);
}

static void test_atomic_write_and_gzip_roundtrip(void) {
  char dir[4096], path[4200];
  CS_ASSERT_TRUE(cs_test_tmpdir(dir, sizeof dir) != NULL);
  snprintf(path, sizeof path, "%s/a/b/out.csv.gz", dir);
  cs_err err = {0};
  char *parent = cs__path_dirname(path);
  CS_ASSERT_OK(cs__mkdir_p(parent, &err), &err);
  free(parent);
  const char *text = "x,y\n1,2\n";
  CS_ASSERT_OK(cs__write_file_atomic(path, text, strlen(text), true, &err), &err);
  char *back;
  size_t len;
  CS_ASSERT_OK(cs__read_file(path, &back, &len, &err), &err);
  CS_ASSERT_STR_EQ(back, text);
  free(back);
  /* truncate the gzip file: reading it must fail with a clear message, not return partial data */
  char *raw;
  FILE *f = fopen(path, "rb");
  raw = malloc(4096);
  size_t n = fread(raw, 1, 4096, f);
  fclose(f);
  snprintf(path, sizeof path, "%s/trunc.gz", dir);
  f = fopen(path, "wb");
  fwrite(raw, 1, n - 6, f);
  fclose(f);
  free(raw);
  CS_ASSERT_INT_EQ(cs__read_file(path, &back, &len, &err), CS_EPARSE);
  CS_ASSERT_STR_CONTAINS(err.msg, "truncated gzip");
}

static void test_params_reject_unknown_and_out_of_range(void) {
  static const cs_param_spec specs[] = {
      {.name = "chunk_size", .type = CS_OPT_INT, .def = 512, .range = {.min = 1, .max = 1 << 20},
       .help = "tokens per iteration"},
      {.name = "tolerance_factor", .type = CS_OPT_NUM, .def = 0, .range = {.min = 1, .max = 100}, .required = true,
       .help = "required"},
  };
  cs_params p = {0};
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs_params_set(&p, specs, 2, "sarathi", "chunk_sise", 5, "f.yml:1:1", &err), CS_ECONFIG);
  CS_ASSERT_STR_CONTAINS(err.msg, "did you mean 'chunk_size'");
  CS_ASSERT_INT_EQ(cs_params_set(&p, specs, 2, "sarathi", "chunk_size", 0, "f.yml:1:1", &err), CS_ERANGE);
  CS_ASSERT_INT_EQ(cs_params_finish(&p, specs, 2, "x", "f.yml:1:1", &err), CS_ECONFIG);
  CS_ASSERT_OK(cs_params_set(&p, specs, 2, "x", "tolerance_factor", 2.0, "f", &err), &err);
  CS_ASSERT_OK(cs_params_finish(&p, specs, 2, "x", "f", &err), &err);
  CS_ASSERT_DBL_EQ(cs_params_get(&p, "chunk_size", -1), 512);
  /* NaN compares false with both bounds: it used to pass the range check */
  CS_ASSERT_INT_EQ(cs_params_set(&p, specs, 2, "x", "tolerance_factor", NAN, "f.yml:2:3", &err), CS_ERANGE);
  CS_ASSERT_STR_CONTAINS(err.msg, "f.yml:2:3: x.tolerance_factor: expected a finite number");
}

typedef struct bound_demo {
  double slack;
  int64_t chunk_size;
  bool eager;
} bound_demo;

static void test_params_bind_fills_a_typed_struct_from_its_field_table(void) {
  static const cs_param_spec specs[] = {
      {CS_PARAM_FIELD(bound_demo, chunk_size), .type = CS_OPT_INT, .def = 512, .range = {.min = 1, .max = 1 << 20}},
      {CS_PARAM_FIELD(bound_demo, slack), .type = CS_OPT_NUM, .def = 0.5, .range = {.min = 0, .max = 1}},
      {CS_PARAM_FIELD(bound_demo, eager), .type = CS_OPT_FLAG, .def = 1, .range = {.min = 0, .max = 1}},
  };
  cs_params given = {.n = 1, .names = {"slack"}, .values = {0.25}};
  bound_demo b = {0};
  cs_err err = {0};
  CS_ASSERT_OK(cs_params_bind(specs, 3, &given, &b, "demo", "test", &err), &err);
  CS_ASSERT_INT_EQ(b.chunk_size, 512);
  CS_ASSERT_DBL_EQ(b.slack, 0.25);
  CU_ASSERT_TRUE(b.eager);
  CS_ASSERT_DBL_EQ(cs_params_bound_get(specs, 3, &b, "chunk_size", -1), 512);
  CS_ASSERT_DBL_EQ(cs_params_bound_get(specs, 3, &b, "no_such", -1), -1);
  given.values[0] = 2;
  CS_ASSERT_INT_EQ(cs_params_bind(specs, 3, &given, &b, "demo", "test", &err), CS_ERANGE);
  CS_ASSERT_DBL_EQ(b.slack, 0.25); /* nothing written on failure */
}

static void test_json_writer_escapes_and_nests(void) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, true);
  cs__jw_obj_begin(&w);
  cs__jw_kstr(&w, "a\"b", "x\ny");
  cs__jw_key(&w, "l");
  cs__jw_arr_begin(&w);
  cs__jw_num(&w, 0.1);
  cs__jw_int(&w, 3);
  cs__jw_arr_end(&w);
  cs__jw_obj_end(&w);
  CS_ASSERT_STR_EQ(sb.buf, "{\"a\\\"b\": \"x\\ny\", \"l\": [0.1, 3]}");
  cs__sbuf_release(&sb);
}

/* Every misuse is remembered, stops the output there and makes cs__jw_finish fail. */
static void test_json_writer_refuses_misuse_instead_of_writing_invalid_json(void) {
  static const char *const want[] = {"a key outside an object", "a value without a key inside an object",
                                     "']' that closes no array", "a second top-level value",
                                     "a key without its value", "nesting deeper"};
  for (int k = 0; k < 6; k++) {
    cs__sbuf sb;
    cs__sbuf_init(&sb);
    cs__jw w;
    cs__jw_init(&w, &sb, true);
    switch (k) {
    case 0: cs__jw_arr_begin(&w); cs__jw_key(&w, "x"); break;
    case 1: cs__jw_obj_begin(&w); cs__jw_int(&w, 1); break;
    case 2: cs__jw_obj_begin(&w); cs__jw_arr_end(&w); break;
    case 3: cs__jw_int(&w, 1); cs__jw_int(&w, 2); break;
    case 4: cs__jw_obj_begin(&w); cs__jw_key(&w, "a"); cs__jw_obj_end(&w); break;
    default: for (int i = 0; i < 70; i++) cs__jw_arr_begin(&w);
    }
    size_t len = sb.len;
    cs__jw_int(&w, 7);
    cs__jw_obj_end(&w);
    cs__jw_arr_end(&w);
    CS_ASSERT_INT_EQ(sb.len, len); /* nothing after the misuse */
    cs_err err = {0};
    CS_ASSERT_INT_EQ(cs__jw_finish(&w, "t.json", &err), CS_EINVAL);
    CS_ASSERT_STR_CONTAINS(err.msg, want[k]);
    cs__sbuf_release(&sb);
  }
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs_err err = {0};
  CS_ASSERT_INT_EQ(cs__jw_finish(&w, "t.json", &err), CS_EINVAL);
  CS_ASSERT_STR_CONTAINS(err.msg, "unfinished");
  cs__jw_obj_end(&w);
  CS_ASSERT_OK(cs__jw_finish(&w, "t.json", &err), &err);
  cs__sbuf_release(&sb);
}

/* The documented rules: non-finite numbers are null in every form, bytes that are not UTF-8
 * become U+FFFD, valid UTF-8 passes unchanged. */
static void test_json_writer_nonfinite_is_null_and_bad_utf8_escaped(void) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, true);
  cs__jw_arr_begin(&w);
  cs__jw_num(&w, NAN);
  cs__jw_numf(&w, "%.17g", NAN);
  cs__jw_numf(&w, "%.17g", -INFINITY);
  cs__jw_numf(&w, "%.17g", 0.1);
  cs__jw_str(&w, "a\xff" "b\xc3\xa9\xed\xa0\x80");
  cs__jw_arr_end(&w);
  CS_ASSERT_STR_EQ(sb.buf, "[null, null, null, 0.10000000000000001, \"a\\ufffdb\xc3\xa9\\ufffd\\ufffd\\ufffd\"]");
  cs__sbuf_release(&sb);
}

/* Another document's members join the object being written, re-indented; text that is not one
 * well-formed object is refused and nothing is added. */
static void test_json_members_splice_checked(void) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init(&w, &sb, false);
  cs__jw_obj_begin(&w);
  cs__jw_kint(&w, "a", 1);
  cs_err err = {0};
  CS_ASSERT_OK(cs__jw_members(&w, "{\"b\": {\"c\": [1, -2.5e3, \"x\\u00e9\"], \"d\": {}}, \"e\": null}\n", &err), &err);
  size_t len = sb.len;
  CS_ASSERT_INT_EQ(cs__jw_members(&w, "{\"b\": nan}", &err), CS_EPARSE);
  CS_ASSERT_INT_EQ(cs__jw_members(&w, "{\"b\": 1,}", &err), CS_EPARSE);
  CS_ASSERT_INT_EQ(cs__jw_members(&w, "{\"b\": 1} {", &err), CS_EPARSE);
  CS_ASSERT_INT_EQ(cs__jw_members(&w, "[1]", &err), CS_EPARSE);
  CS_ASSERT_INT_EQ(sb.len, len);
  CS_ASSERT_OK(cs__jw_members(&w, " {} ", &err), &err);
  cs__jw_obj_end(&w);
  CS_ASSERT_OK(cs__jw_finish(&w, "t", &err), &err);
  CS_ASSERT_STR_EQ(sb.buf, "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": [\n      1,\n      -2.5e3,\n      \"x\\u00e9\"\n    ],\n"
                           "    \"d\": {}\n  },\n  \"e\": null\n}");
  cs__sbuf_release(&sb);
}

/* The tight form with caller-placed line breaks: Chrome's trace format, one event per line. */
static void test_json_writer_tight_with_line_breaks(void) {
  cs__sbuf sb;
  cs__sbuf_init(&sb);
  cs__jw w;
  cs__jw_init_tight(&w, &sb);
  cs__jw_obj_begin(&w);
  cs__jw_key(&w, "e");
  cs__jw_arr_begin(&w);
  for (int i = 0; i < 2; i++) {
    cs__jw_break(&w);
    cs__jw_obj_begin(&w);
    cs__jw_kint(&w, "a", i);
    cs__jw_kstr(&w, "b", "x");
    cs__jw_obj_end(&w);
  }
  cs__jw_break(&w);
  cs__jw_arr_end(&w);
  cs__jw_obj_end(&w);
  CS_ASSERT_STR_EQ(sb.buf, "{\"e\":[\n{\"a\":0,\"b\":\"x\"},\n{\"a\":1,\"b\":\"x\"}\n]}");
  cs__sbuf_release(&sb);
}

static const cs_test_case cases[] = {
    {"test_pyfloat_digits_equal_the_linear_search", test_pyfloat_digits_equal_the_linear_search},
    {"test_fixed6_equals_printf", test_fixed6_equals_printf},
    {"test_sha1_matches_vidur_job_hashes", test_sha1_matches_vidur_job_hashes},
    {"test_sha1_piecewise_updates_agree", test_sha1_piecewise_updates_agree},
    {"test_pcg64_reproduces_numpy_default_rng_42", test_pcg64_reproduces_numpy_default_rng_42},
    {"test_mt_reproduces_python_random_seed_42", test_mt_reproduces_python_random_seed_42},
    {"test_randbelow_stays_in_range_and_consumes_for_n_1", test_randbelow_stays_in_range_and_consumes_for_n_1},
    {"test_pyfloat_formats_like_python_repr", test_pyfloat_formats_like_python_repr},
    {"test_fmt_double_is_shortest_and_never_exponent_for_integers",
     test_fmt_double_is_shortest_and_never_exponent_for_integers},
    {"test_suggest_finds_close_names", test_suggest_finds_close_names},
    {"test_yaml_unknown_key_names_line_col_and_suggestion", test_yaml_unknown_key_names_line_col_and_suggestion},
    {"test_yaml_malformed_input_reports_position", test_yaml_malformed_input_reports_position},
    {"test_yaml_typed_reads_reject_wrong_types", test_yaml_typed_reads_reject_wrong_types},
    {"test_atomic_write_and_gzip_roundtrip", test_atomic_write_and_gzip_roundtrip},
    {"test_params_reject_unknown_and_out_of_range", test_params_reject_unknown_and_out_of_range},
    {"test_params_bind_fills_a_typed_struct_from_its_field_table", test_params_bind_fills_a_typed_struct_from_its_field_table},
    {"test_json_writer_escapes_and_nests", test_json_writer_escapes_and_nests},
    {"test_json_writer_refuses_misuse_instead_of_writing_invalid_json",
     test_json_writer_refuses_misuse_instead_of_writing_invalid_json},
    {"test_json_writer_nonfinite_is_null_and_bad_utf8_escaped", test_json_writer_nonfinite_is_null_and_bad_utf8_escaped},
    {"test_json_members_splice_checked", test_json_members_splice_checked},
    {"test_json_writer_tight_with_line_breaks", test_json_writer_tight_with_line_breaks},
    {NULL, NULL},
};

int main(void) { return cs_test_run("util", cases); }
