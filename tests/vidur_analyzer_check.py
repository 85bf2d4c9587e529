#!/usr/bin/env python3
"""Checks a sweep directory against what Vidur's capacity-search analyzer reads
(tests/data/vidur/analyzer_reads.txt). Prints one line per problem and the number of run
directories that would be extracted; exits 1 when any run directory would be skipped or a
requirement fails. Standard library only (the analyzer itself needs pandas)."""
import csv
import glob
import json
import os
import sys

CDF_POINTS = (0.0, 0.25, 0.5, 0.75, 0.90, 0.95, 0.99, 1.0)


def flat_yaml(path):
    """key: value lines of a flat YAML file (what yaml.safe_load gives for it)."""
    out = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith(" ") or ": " not in line:
            raise ValueError("not a flat key: value line: %r" % line)
        k, v = line.split(": ", 1)
        out[k] = json.loads(v) if v != "null" else None
    return out


def check_run(run, reqs):
    problems = []
    for kind, path, args in reqs:
        p = os.path.join(run, path)
        try:
            if kind == "yaml":
                cfg = flat_yaml(p)
                problems += ["%s: no key %s" % (p, k) for k in args if k not in cfg]
                if cfg.get("replica_scheduler_provider") == "sarathi" and "sarathi_scheduler_chunk_size" not in cfg:
                    problems.append("%s: sarathi without sarathi_scheduler_chunk_size" % p)
                if "/" not in str(cfg.get("replica_model_name", "")):
                    problems.append("%s: replica_model_name is not ORG/NAME" % p)
                float(cfg.get("poisson_request_interval_generator_qps"))
            elif kind in ("csv", "cdf"):
                rows = list(csv.DictReader(open(p, newline="")))
                cols = args if kind == "csv" else ["cdf"] + args
                header = rows[0].keys() if rows else []
                problems += ["%s: no column %r" % (p, c) for c in cols if c not in header]
                if kind == "cdf" and "cdf" in header:
                    # pandas' default float parser reads Vidur's "0.9500000000000001" as 0.95, so
                    # the extractor's cdf == 0.95 finds it: compare to 15 significant digits
                    have = {round(float(r["cdf"]), 15) for r in rows}
                    problems += ["%s: no row at cdf == %g" % (p, q) for q in CDF_POINTS if round(q, 15) not in have]
                if kind == "csv":
                    for c in cols:
                        if c in header and not [float(r[c]) for r in rows if r[c] != ""]:
                            problems.append("%s: column %r has no numbers" % (p, c))
            elif kind == "util":
                files = glob.glob(p)
                vals = [v for f in files for k, v in json.load(open(f)).items() if k.endswith("weighted_mean")]
                if not vals:
                    problems.append("%s: no top-level *_weighted_mean value" % p)
                problems += ["%s: %r is not a number" % (p, v) for v in vals if not isinstance(v, (int, float))]
        except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
            problems.append("%s: %s" % (p, e))
    return problems


def main():
    spec, sweep = sys.argv[1], sys.argv[2]
    reqs, top, pattern = [], [], None
    for line in open(spec):
        if not line.strip() or line.startswith("#"):
            continue
        kind, rest = line.split(None, 1)
        if kind == "top":
            path, text = rest.split(None, 1)
            top.append((path, text.strip()))
        elif kind == "rundirs":
            pattern = rest.strip()
        else:
            parts = rest.split(None, 1)
            args = parts[1].split() if len(parts) > 1 else []
            if kind == "csv" and parts[0].endswith("time_series.csv"):
                args = [parts[1].strip()]
            reqs.append((kind, parts[0], args))
    problems = []
    for path, text in top:
        p = os.path.join(sweep, path)
        lines = [l for l in open(p)] if os.path.exists(p) else []
        hit = [l for l in lines if text in l]
        if not hit:
            problems.append("%s: no line with %r" % (p, text))
        else:
            float(hit[0].split(":")[-1].strip())
    runs = sorted(glob.glob(os.path.join(sweep, pattern)))
    good = 0
    for run in runs:
        pr = check_run(run, reqs)
        problems += pr
        good += not pr
    for p in problems[:40]:
        print("problem:", p)
    print("runs: %d, extracted: %d" % (len(runs), good))
    sys.exit(1 if problems or not runs or good != len(runs) else 0)


if __name__ == "__main__":
    main()
