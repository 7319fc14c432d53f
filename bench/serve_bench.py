#!/usr/bin/python3
"""Throughput and latency of `r1run serve` at several client concurrencies.

Usage: serve_bench.py R1RUN ARTIFACT [--seconds 30] [--concurrency 1,4,16]
                      [--max-tokens 128] [--threads N] [--workdir DIR] [--json OUT]

Starts one server (--max-batch = the largest concurrency, so no client waits
in the queue) and, for each concurrency C in turn, runs C streaming chat
clients back to back for --seconds after a short unmeasured warm-up (one
request per client). Each request asks for --max-tokens tokens with its own
seed at temperature 0.6 (R1's default); the prompt is one of a fixed list.

Measured per concurrency:
  gen tokens/s   the usage's completion_tokens of every request, over the time
                 from the first request's send to the last one's [DONE]
  TTFT           send -> the first chunk that carries text
  inter-token    gaps between successive text-carrying chunks (r1run serve
                 sends a chunk per token, except bytes it holds back)
  latency        send -> [DONE]
Prints a markdown table and a "Measured:" line (CPU, nproc, threads, date,
commit, artifact); --json writes the figures. Every stream is validated as the
tests do; a malformed stream or a failed request aborts the run.
"""
import argparse
import datetime
import http.client
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
from serve_client import (CHAT, PATHS, ProtocolError, Server, Timings, percentile,  # noqa: E402
                          validate_stream)

PROMPTS = ["Tell me a story.", "Why is the sky blue?", "Explain recursion to a child.",
           "How do bees make honey?", "Is 91 a prime number? Think step by step.",
           "Write a haiku about rain.", "Describe a sunset over the sea.", "What is 17 * 23?"]


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return cpu, os.cpu_count()


def commit():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet"]).returncode != 0
        return head + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class Run(Timings):
    """One concurrency's measurements."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()


def client(server, model, max_tokens, rng, deadline, run, errors):
    conn = server.client(timeout=600)
    while time.monotonic() < deadline and not errors:
        body = {"messages": [{"role": "user", "content": rng.choice(PROMPTS)}], "max_tokens": max_tokens,
                "seed": rng.randrange(1 << 31), "temperature": 0.6, "stream": True,
                "stream_options": {"include_usage": True}}
        try:
            result = conn.stream(PATHS[CHAT], body)
            completion = validate_stream(result, CHAT, model=model, include_usage=True, max_tokens=max_tokens)
        except (ProtocolError, OSError, http.client.HTTPException) as e:
            errors.append(f"{type(e).__name__}: {e}")
            return
        if run is None:
            return  # warm-up: one request
        with run.lock:
            run.add(result, completion.usage["completion_tokens"])


def measure(server, model, concurrency, seconds, max_tokens, seed):
    errors = []

    def clients(run, deadline):
        threads = [threading.Thread(target=client, args=(
            server, model, max_tokens, random.Random(seed * 1000 + concurrency * 100 + i), deadline, run,
            errors)) for i in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            sys.exit(f"serve_bench.py: concurrency {concurrency}: {errors[0]}")

    clients(None, math.inf)  # the warm-up: one request per client, not measured
    run = Run()
    clients(run, time.monotonic() + seconds)
    wall = run.t_last - run.t_first

    def ms(xs, p):
        v = percentile(xs, p)
        return None if v is None else round(v * 1000, 1)
    return {"concurrency": concurrency, "requests": run.requests, "tokens": run.tokens,
            "seconds": round(wall, 2), "tokens_per_s": round(run.tokens / wall, 1),
            "ttft_ms": {"p50": ms(run.ttft, 50), "p95": ms(run.ttft, 95)},
            "inter_token_ms": {"p50": ms(run.itl, 50), "p95": ms(run.itl, 95)},
            "latency_ms": {"p50": ms(run.latency, 50), "p95": ms(run.latency, 95)}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("r1run")
    ap.add_argument("artifact")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--concurrency", default="1,4,16")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ctx", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir")
    ap.add_argument("--json")
    args = ap.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    model = os.path.basename(args.artifact)
    model = model[:-3] if model.endswith(".r1") else model
    workdir = args.workdir or tempfile.mkdtemp(prefix="serve-bench-")
    server_args = ["--threads", args.threads, "--max-batch", max(levels), "--max-queue", 4 * max(levels),
                   "--ctx", args.ctx, "--http-threads", max(16, 2 * max(levels))]
    rows = []
    with Server(args.r1run, args.artifact, workdir, "bench", args=server_args) as server:
        server.start()
        print(f"== r1run serve {args.artifact} on {server.url} ({args.threads} threads)", file=sys.stderr)
        for c in levels:
            row = measure(server, model, c, args.seconds, args.max_tokens, args.seed)
            print(f"== concurrency {c}: {row['requests']} requests, {row['tokens_per_s']} tokens/s",
                  file=sys.stderr)
            rows.append(row)
        code = server.stop()
        if code != 0:
            sys.exit(f"serve_bench.py: the server exited {code} on SIGTERM:\n{server.stderr_tail()}")

    cpu, nproc = machine()
    stamp = (f"{cpu}, {nproc} CPUs, {args.threads} threads; {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}; "
             f"r1c {commit()}; {os.path.basename(args.artifact)}; `bench/serve.sh` with "
             f"SECONDS={args.seconds:g} MAX_TOKENS={args.max_tokens}")
    print(f"Measured: {stamp}.")
    print()
    print("| clients | requests | gen tokens/s | TTFT p50 ms | TTFT p95 ms | inter-token p50 ms "
          "| inter-token p95 ms | latency p50 ms | latency p95 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['concurrency']} | {r['requests']} | {r['tokens_per_s']} | {r['ttft_ms']['p50']} "
              f"| {r['ttft_ms']['p95']} | {r['inter_token_ms']['p50']} | {r['inter_token_ms']['p95']} "
              f"| {r['latency_ms']['p50']} | {r['latency_ms']['p95']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": {"cpu": cpu, "nproc": nproc}, "threads": args.threads, "stamp": stamp,
                       "max_tokens": args.max_tokens, "seconds": args.seconds, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
