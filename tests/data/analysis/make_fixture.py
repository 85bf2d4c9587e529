#!/usr/bin/env python3
"""Writes tests/data/analysis/sweep/: a small hand-made capsearch output directory with known
QPS, prices and percentiles, so the analysis tests can check QPS per dollar, cost per request,
replicas for a target, Pareto membership, SLA gaps and bottleneck labels by hand.
Run it from anywhere; the output is deterministic (gzip mtime 0). See docs/analysis.md."""
import gzip, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "sweep")

COLS = ("job_hash,model,trace,device,network_device,gpus_per_node,global_scheduler,tolerance_factor,top_k,"
        "request_queue,replica_scheduler,chunk_size,tp,pp,batch_size,slo_name,search_for,num_replicas,start_qps,"
        "num_requests,num_gpus,price_per_gpu_hour,cost_per_hour,answer_qps,answer_replicas,qps_per_dollar,probes,"
        "status,reason").split(",")
RM_COLS = ("Request Id,request_e2e_time,request_e2e_time_normalized,request_execution_time,"
           "request_execution_time_normalized,request_model_execution_time,request_model_execution_time_normalized,"
           "request_preemption_time,request_scheduling_delay,request_execution_plus_preemption_time,"
           "request_execution_plus_preemption_time_normalized,prefill_e2e_time,prefill_e2e_time_normalized,"
           "prefill_time_execution_plus_preemption,prefill_time_execution_plus_preemption_normalized,"
           "decode_time_execution_plus_preemption_normalized,request_inter_arrival_delay,request_num_tokens,"
           "request_num_prefill_tokens,request_num_prefill_tokens_cached,request_num_decode_tokens,request_pd_ratio,"
           "request_num_restarts,request_arrived_at,replica").split(",")

SLO1 = {"name": "ttft_p99_2s", "type": "and", "quantile": 0.99,
        "slos": [{"metric": "prefill_e2e_time", "value": 2.0}]}
SLO3 = {"name": "ttft_p99_3s", "type": "and", "quantile": 0.99,
        "slos": [{"metric": "prefill_e2e_time", "value": 3.0}]}
SLO2 = {"name": "ttft_tpot_p90", "type": "and", "quantile": 0.9,
        "slos": [{"metric": "prefill_e2e_time", "value": 2.0},
                 {"metric": "decode_time_execution_plus_preemption_normalized", "value": 0.1}]}


def quantile(vals, q):
    s = sorted(vals)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def qtable(name, vals):
    return "cdf,%s\n" % name + "".join("%r,%r\n" % (round(i * 0.01, 2), quantile(vals, i * 0.01)) for i in range(101))


def write(path, text, gz=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if gz:
        with open(path, "wb") as f:
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
                g.write(text.encode())
    else:
        with open(path, "w") as f:
            f.write(text)


def run(job_dir, name, ts, qps, replicas, ok, ttft, tpot, prompt, output, end_time, arrived=None,
        gz=False, batch=None, mem=None, busy=None, tbt_tables=None, restarts=0):
    d = os.path.join(job_dir, name)
    n = len(ttft)
    rows = []
    for i in range(n):
        e2e = ttft[i] + tpot[i] * output[i]
        arr = i * (1.0 / qps)
        r = {c: 0 for c in RM_COLS}
        r.update({"Request Id": i, "request_e2e_time": e2e, "request_e2e_time_normalized": e2e / output[i],
                  "request_execution_time": e2e * 0.9, "request_scheduling_delay": ttft[i] * 0.1,
                  "prefill_e2e_time": ttft[i], "decode_time_execution_plus_preemption_normalized": tpot[i],
                  "request_num_tokens": prompt[i] + output[i], "request_num_prefill_tokens": prompt[i],
                  "request_num_decode_tokens": output[i], "request_pd_ratio": prompt[i] / output[i],
                  "request_num_restarts": restarts if i == 0 else 0, "request_arrived_at": arr, "replica": 0})
        rows.append(r)
    text = ",".join(RM_COLS) + "\n" + "".join(",".join(repr(r[c]) if isinstance(r[c], float) else str(r[c])
                                                      for c in RM_COLS) + "\n" for r in rows)
    tsd = os.path.join(d, ts)
    write(os.path.join(tsd, "request_metrics.csv" + (".gz" if gz else "")), text, gz)
    write(os.path.join(tsd, "plots", "prefill_e2e_time.csv"), qtable("prefill_e2e_time", ttft))
    write(os.path.join(tsd, "plots", "decode_time_execution_plus_preemption_normalized.csv"),
          qtable("decode_time_execution_plus_preemption_normalized", tpot))
    if batch is not None:
        write(os.path.join(tsd, "plots", "batch_size.csv"),
              "cdf,batch_size,replica\n" + "".join("%r,%r,0\n" % (round(i * 0.01, 2), float(batch[i]))
                                                   for i in range(101)))
    if tbt_tables:
        write(os.path.join(tsd, "plots", "batch_execution_time.csv"),
              "cdf,batch_execution_time,replica\n" +
              "".join("%r,%r,%d\n" % (round(i * 0.01, 2), t[i], rep) for rep, t in enumerate(tbt_tables)
                      for i in range(101)))
    if mem is not None:
        write(os.path.join(tsd, "plots", "replica_memory_usage.json"),
              json.dumps({"0": {"replica_memory_usage_min": 1.0, "replica_memory_usage_max": mem + 5,
                                "replica_memory_usage_weighted_mean": mem}}))
    if busy is not None:
        write(os.path.join(tsd, "plots", "replica_busy_time.json"),
              json.dumps({"0": {"0": {"replica_busy_time_min": 0, "replica_busy_time_weighted_mean": busy}}}))
    write(os.path.join(d, "probe.json"), json.dumps({
        "format": "capsearch-probe", "version": 1, "qps": qps, "replicas": replicas, "pass": ok, "value": quantile(ttft, 0.99), "completed": n,
        "arrived": arrived if arrived is not None else n, "events": 100, "end_time": end_time,
        "hit_time_limit": False, "timestamp_dir": ts}))


def failing(job_dir, name, ts, qps, replicas):
    run(job_dir, name, ts, qps, replicas, False, [3.0 + i for i in range(10)], [0.05] * 10, [500] * 10,
        [100] * 10, 10.0)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    lin = lambda a, b: [a + (b - a) * i / 9 for i in range(10)]  # 10 evenly spaced values
    jobs = [
        # hash, device, tp, replicas, rsched, chunk, price, status, answer, slo
        ("aaaa0001", "h100", 1, 1, "vllm_v1", 512, 4.0, "ok", 4.0, SLO1),
        ("aaaa0002", "a100", 2, 1, "sarathi", 1024, 2.0, "ok", 2.0, SLO1),
        ("aaaa0003", "h100", 2, 1, "vllm_v1", 512, 4.0, "ok", 6.0, SLO1),
        ("aaaa0004", "a100", 1, 1, "vllm_v1", 512, 2.0, "no_pass", None, SLO1),
        ("aaaa0005", "h100", 1, 2, "vllm", None, 4.0, "pending", None, SLO1),
        ("aaaa0006", "h100", 1, 1, "vllm_v1", 512, 4.0, "ok", 3.0, SLO2),
        # a num_replicas search at 8 QPS: 1 replica fails, 4 and 2 pass -> 2 replicas
        ("aaaa0007", "h100", 1, 1, "vllm_v1", 512, 4.0, "ok", 8.0, SLO3),
    ]
    lines = [",".join(COLS)]
    for h, dev, tp, r, rs, cs, price, status, ans, slo in jobs:
        by_r = h == "aaaa0007"
        p = {"job_hash": h, "model": "Meta-Llama-3-8B", "trace": "chat", "device": dev,
             "network_device": dev + "_dgx", "gpus_per_node": 8, "global_scheduler": "round_robin",
             "tolerance_factor": "", "top_k": "", "request_queue": "fcfs", "replica_scheduler": rs,
             "chunk_size": cs if cs else "", "tp": tp, "pp": 1, "batch_size": 128, "slo_name": slo["name"],
             "search_for": "num_replicas" if by_r else "qps", "num_replicas": r,
             "start_qps": 8.0 if by_r else 2.0, "num_requests": 10,
             "num_gpus": r * tp, "price_per_gpu_hour": price, "cost_per_hour": r * tp * price,
             "answer_qps": ans if ans else "", "answer_replicas": (2 if by_r else r) if ans else "",
             "qps_per_dollar": ans / ((2 if by_r else r) * tp * price) if ans else "", "probes": 3,
             "status": status, "reason": "no probe met the SLO" if status == "no_pass" else ""}
        if status != "pending":  # an interrupted sweep has no final row for this job
            lines.append(",".join(str(p[c]) for c in COLS))
        jd = os.path.join(OUT, "runs", h)
        job = {k: p[k] for k in COLS[1:20]}
        job.update({"format": "capsearch-job", "version": 1, "job_hash": h, "price_per_gpu_hour": price, "slo": slo})
        write(os.path.join(jd, "job.json"), json.dumps(job, indent=2))
        write(os.path.join(jd, "output.log"), "simulated\n")
        pr, out = [500] * 10, [100] * 10
        if h == "aaaa0001":
            # TTFT P99 1.982 s: passes 2 s but above 80% of it; memory 85% with batches far
            # under the cap: the fixed rule (b) fires.
            run(jd, "r1_q4.0", "2026-01-01_00-00-01-000000", 4.0, 1, True, lin(0.2, 2.0), lin(0.02, 0.05),
                [100 * (i + 1) for i in range(9)] + [500], out, 2.5, batch=[i * 0.4 + 10 for i in range(101)],
                mem=85.0, busy=90.0, restarts=3)
            failing(jd, "r1_q8.0", "2026-01-01_00-00-02-000000", 8.0, 1)
            failing(jd, "r1_q6.0", "2026-01-01_00-00-03-000000", 6.0, 1)
        elif h == "aaaa0002":
            run(jd, "r1_q2.0", "2026-01-01_00-00-01-000000", 2.0, 1, True, lin(0.3, 1.2), lin(0.03, 0.06), pr,
                out, 5.0, gz=True)
            failing(jd, "r1_q4.0", "2026-01-01_00-00-02-000000", 4.0, 1)
        elif h == "aaaa0003":
            run(jd, "r1_q6.0", "2026-01-01_00-00-02-000000", 6.0, 1, True, lin(0.05, 0.5), lin(0.01, 0.04), pr,
                out, 1.8, tbt_tables=[[0.01 + i * 0.0001 for i in range(101)],
                                      [0.02 + i * 0.0001 for i in range(101)]])
            run(jd, "r1_q4.0", "2026-01-01_00-00-01-000000", 4.0, 1, True, lin(0.05, 0.3), lin(0.01, 0.03), pr,
                out, 2.6)
            failing(jd, "r1_q8.0", "2026-01-01_00-00-03-000000", 8.0, 1)
        elif h == "aaaa0004":
            failing(jd, "r1_q4.0", "2026-01-01_00-00-01-000000", 4.0, 1)
        elif h == "aaaa0005":
            run(jd, "r2_q4.0", "2026-01-01_00-00-01-000000", 4.0, 2, True, lin(0.1, 1.0), lin(0.02, 0.05), pr,
                out, 2.4)
            os.makedirs(os.path.join(jd, "r2_q8.0"))  # interrupted: no probe.json
            write(os.path.join(jd, "r2_q8.0", "output.log"), "killed\n")
        elif h == "aaaa0007":
            failing(jd, "r1_q8.0", "2026-01-01_00-00-01-000000", 8.0, 1)
            run(jd, "r4_q8.0", "2026-01-01_00-00-02-000000", 8.0, 4, True, lin(0.1, 1.0), lin(0.02, 0.05), pr,
                out, 1.3)
            run(jd, "r2_q8.0", "2026-01-01_00-00-03-000000", 8.0, 2, True, lin(0.25, 2.5), lin(0.02, 0.05), pr,
                out, 1.4)
        elif h == "aaaa0006":
            run(jd, "r1_q3.0", "2026-01-01_00-00-01-000000", 3.0, 1, True, lin(0.15, 1.5), lin(0.02, 0.08), pr,
                out, 3.3)
    write(os.path.join(OUT, "results.csv"), "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
