#!/usr/bin/python3
"""The load test of `r1run serve`: many streaming clients, with faults beside them.

Usage: serve_load.py R1RUN ARTIFACT WORKDIR [--clients 32] [--seconds 60]
                     [--warmup 5] [--threads N] [--seed 1] [--json OUT]
                     [--strict-repeats]

Starts `r1run serve` (--max-batch 16 --max-queue 256 --http-threads 96
--read-timeout 5 --max-body-bytes 1 MiB) and runs:

  warm-up  --clients streaming clients for --warmup seconds (validated, not
           measured); then the server's RSS is the baseline.
  main     --clients streaming clients for --seconds, each looping chat
           requests with max_tokens 8..64, a seed, temperature 0, 0.6 or 1 and
           n = 2 for a fifth of them, from its own seeded random.Random. Every
           stream must be well-formed (serve_client.validate_stream: framing,
           role first, exactly one finish_reason per choice, the usage chunk,
           [DONE], completion_tokens within n..n*max_tokens and exactly
           n*max_tokens when every choice hit "length"). Zero failures allowed.
  faults   from 20% to 80% of the main phase, beside it:
           - disconnects: streams closed after 3 events (every other one with
             a TCP reset), and non-streaming requests closed right after sending;
           - slowloris: 2 connections sending a request header one byte every
             0.25 s, 2 sending a declared 200-byte body that way; the server
             must close each within --read-timeout + 5 s (it may answer 408);
           - one 10 MB POST: a 413 or a closed connection, never a crash.
  after    the server is alive and healthy, one more request works, /metrics
           settles to no queued or running sequence and no KV token reserved,
           and the RSS rule below holds. SIGTERM must exit 0.

Prints a summary (requests, tokens, tokens/s, TTFT / inter-token / total
latency p50/p95/p99, fault outcomes, RSS) and "serve_load.py: passed", or
"FAIL: ..." lines and exits 1. --json OUT writes the summary as JSON.

Some requests repeat an earlier request exactly (same prompt, seed,
temperature, max_tokens, n); differing texts are reported as
repeat_mismatches, and fail the run only with --strict-repeats (the server
promises bit-identical batching for small batches; these run in batches of
up to 16).
"""
import argparse
import http.client
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_client import (CHAT, PATHS, ProtocolError, ServeError, Server, parse_metrics,  # noqa: E402
                          Timings, percentile, peak_rss_bytes, rss_bytes, validate_stream)

READ_TIMEOUT = 5          # --read-timeout given to the server, seconds
MAX_BODY = 1 << 20        # --max-body-bytes given to the server
BIG_BODY = 10 << 20       # the oversized POST
# The RSS rule: after the run the server's resident set may be at most
# 1.5x its resident set after the warm-up plus 64 MiB. The warm-up has
# already touched the weights (mmapped: file pages count in RSS), the KV
# cache and the per-thread buffers at the same concurrency; what grows beyond
# that under the same load is a leak (requests, connections, aborted streams).
RSS_FACTOR, RSS_SLACK = 1.5, 64 << 20

PROMPTS = [
    "Tell me a story.", "What is 17 * 23?", "Why is the sky blue?", "Write a haiku about rain.",
    "Explain recursion to a child.", "List three prime numbers.", "What is the capital of France?",
    "Summarize the plot of Hamlet in one sentence.", "How do bees make honey?",
    "Translate 'good morning' into German.", "Is 91 a prime number? Think step by step.",
    "Describe a sunset over the sea.",
]


class Stats(Timings):
    """Thread-safe accumulation of one phase's outcomes."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
        self.n2 = 0
        self.failures = []
        self.repeats = {}  # request key -> texts
        self.repeat_checked = 0
        self.repeat_mismatches = []

    def ok(self, body, result, completion):
        key = json.dumps({k: body[k] for k in ("messages", "max_tokens", "seed", "temperature", "n")},
                         sort_keys=True)
        with self.lock:
            self.add(result, completion.usage["completion_tokens"])
            self.n2 += body["n"] == 2
            texts = completion.texts()
            if key in self.repeats:
                self.repeat_checked += 1
                if self.repeats[key] != texts:
                    self.repeat_mismatches.append({"request": json.loads(key), "first": self.repeats[key],
                                                   "again": texts})
            else:
                self.repeats[key] = texts

    def fail(self, message):
        with self.lock:
            self.failures.append(message)

    def summary(self):
        wall = (self.t_last - self.t_first) if self.requests else 0.0

        def pct(xs, scale=1000.0):
            return {f"p{p}": (round(percentile(xs, p) * scale, 2) if xs else None) for p in (50, 95, 99)}
        return {"requests": self.requests, "requests_n2": self.n2, "failed": len(self.failures),
                "tokens": self.tokens, "wall_seconds": round(wall, 2),
                "tokens_per_s": round(self.tokens / wall, 1) if wall > 0 else None,
                "ttft_ms": pct(self.ttft), "inter_token_ms": pct(self.itl), "latency_ms": pct(self.latency),
                "repeats_checked": self.repeat_checked, "repeat_mismatches": len(self.repeat_mismatches)}


def make_request(rng):
    """One client request: a prompt, max_tokens 8..64, a seed, n = 2 for a fifth.

    A quarter reuse a seed from a pool of 4 so that some requests repeat
    exactly (same prompt, seed, temperature, max_tokens and n)."""
    n = 2 if rng.random() < 0.2 else 1
    repeat = rng.random() < 0.25
    seed = rng.randrange(4) if repeat else rng.randrange(1 << 31)
    return {"messages": [{"role": "user", "content": rng.choice(PROMPTS[:3] if repeat else PROMPTS)}],
            "max_tokens": rng.choice([16, 32]) if repeat else rng.randint(8, 64),
            "seed": seed, "temperature": rng.choice([0.0, 0.6, 1.0]), "n": n,
            "stream": True, "stream_options": {"include_usage": True}}


def client_loop(server, model, index, seed, deadline, stats):
    rng = random.Random(seed * 1_000_003 + index)
    client = server.client(timeout=300)
    while time.monotonic() < deadline:
        body = make_request(rng)
        try:
            result = client.stream(PATHS[CHAT], body)
            completion = validate_stream(result, CHAT, n=body["n"], model=model, include_usage=True,
                                         max_tokens=body["max_tokens"])
        except (ProtocolError, OSError, http.client.HTTPException) as e:
            stats.fail(f"client {index}: {body}: {type(e).__name__}: {e}")
            continue
        stats.ok(body, result, completion)


def run_clients(server, model, clients, seed, seconds, stats):
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=client_loop, args=(server, model, i, seed, deadline, stats))
               for i in range(clients)]
    for t in threads:
        t.start()
    return threads


# ---------------------------------------------------------------------------
# Faults, on raw sockets
# ---------------------------------------------------------------------------

def raw_request(body, path=PATHS[CHAT]):
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data


def reset_close(sock):
    """Close with a TCP reset (SO_LINGER 0) instead of an orderly FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.disconnects = {"stream_fin": 0, "stream_rst": 0, "before_response": 0}
        self.slowloris = []
        self.big_body = None
        self.failures = []

    def fail(self, message):
        with self.lock:
            self.failures.append(message)


def disconnect_loop(server, index, seed, until, faults):
    """Streams abandoned after 3 events; non-streaming requests abandoned unanswered."""
    rng = random.Random(seed * 7919 + index)
    k = 0
    while time.monotonic() < until:
        k += 1
        body = {"messages": [{"role": "user", "content": rng.choice(PROMPTS)}], "max_tokens": 200,
                "seed": rng.randrange(1 << 31), "n": rng.choice([1, 2])}
        try:
            sock = socket.create_connection((server.host, server.port), timeout=60)
            if k % 3 == 0:
                sock.sendall(raw_request(body))
                time.sleep(0.05)
                if k % 2:
                    reset_close(sock)
                else:
                    sock.close()
                with faults.lock:
                    faults.disconnects["before_response"] += 1
            else:
                sock.sendall(raw_request(dict(body, stream=True)))
                buf = b""
                while buf.count(b"data: ") < 3:
                    data = sock.recv(4096)
                    if not data:
                        break
                    buf += data
                status = buf.split(b"\r\n", 1)[0]
                if not status.startswith(b"HTTP/1.1 200"):
                    faults.fail(f"disconnect client {index}: the stream answered {buf[:200]!r}")
                elif buf.count(b"data: ") < 3:
                    faults.fail(f"disconnect client {index}: the stream ended after {buf.count(b'data: ')} "
                                f"events: {buf[-200:]!r}")
                rst = k % 2 == 1
                if rst:
                    reset_close(sock)
                else:
                    sock.close()
                with faults.lock:
                    faults.disconnects["stream_rst" if rst else "stream_fin"] += 1
        except OSError as e:
            faults.fail(f"disconnect client {index}: {type(e).__name__}: {e}")
        time.sleep(0.1)


def slowloris(server, index, body_phase, faults):
    """Sends a request a byte every 0.25 s until the server closes the connection.

    body_phase False: the header itself is dribbled; True: a complete header
    declaring a 200-byte body, then the body dribbled. The server must close
    within READ_TIMEOUT + 5 s; we give up at 3 x READ_TIMEOUT + 5 s.
    """
    kind = "body" if body_phase else "header"
    header = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"X-Padding: " + b"a" * 400 + b"\r\n")
    if body_phase:
        prefix, trickle = header + b"Content-Length: 200\r\n\r\n", b'{"messages": [' + b" " * 186
    else:
        prefix, trickle = b"", header
    outcome = {"kind": kind, "closed_after_s": None, "answer": None, "open_after_s": None}
    t0 = time.monotonic()
    give_up = t0 + 3 * READ_TIMEOUT + 5
    try:
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.sendall(prefix)
        for i in range(len(trickle)):
            if time.monotonic() > give_up:
                break
            readable, _, _ = select.select([sock], [], [], 0.25)
            if readable:
                data = sock.recv(4096)
                outcome["answer"] = data.split(b"\r\n", 1)[0].decode(errors="replace") if data else "EOF"
                break
            sock.send(trickle[i:i + 1])
        sock.close()
    except (BrokenPipeError, ConnectionResetError) as e:
        outcome["answer"] = type(e).__name__
    except OSError as e:
        faults.fail(f"slowloris {index} ({kind}): {type(e).__name__}: {e}")
    if outcome["answer"] is not None:
        outcome["closed_after_s"] = round(time.monotonic() - t0, 2)
        if outcome["closed_after_s"] > READ_TIMEOUT + 5:
            faults.fail(f"slowloris {index} ({kind}): closed only after {outcome['closed_after_s']} s "
                        f"(--read-timeout {READ_TIMEOUT})")
    else:
        outcome["open_after_s"] = round(time.monotonic() - t0, 2)
        faults.fail(f"slowloris {index} ({kind}): still open after {time.monotonic() - t0:.0f} s "
                    f"(--read-timeout {READ_TIMEOUT}): the server keeps slow requests forever")
    with faults.lock:
        faults.slowloris.append(outcome)


def big_body(server, faults):
    """One POST declaring and sending 10 MB: 413 or a closed connection."""
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {BIG_BODY}\r\nConnection: close\r\n\r\n").encode()
    piece = b"x" * 65536
    sent = 0
    outcome = {"sent_bytes": 0, "answer": None}
    try:
        sock = socket.create_connection((server.host, server.port), timeout=30)
        sock.sendall(head)
        try:
            while sent < BIG_BODY:
                sock.sendall(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError) as e:
            outcome["answer"] = f"connection closed while sending ({type(e).__name__})"
        outcome["sent_bytes"] = sent
        try:
            data = b""
            while b"\r\n" not in data:
                more = sock.recv(4096)
                if not more:
                    break
                data += more
            status = data.split(b"\r\n", 1)[0].decode(errors="replace")
            if status:
                outcome["answer"] = status
            elif outcome["answer"] is None:
                outcome["answer"] = "connection closed (EOF)"
        except (ConnectionResetError, socket.timeout) as e:
            outcome["answer"] = outcome["answer"] or f"connection closed ({type(e).__name__})"
        sock.close()
    except OSError as e:
        faults.fail(f"10 MB body: {type(e).__name__}: {e}")
    answer = outcome["answer"] or ""
    if answer.startswith("HTTP/") and " 413" not in answer:
        faults.fail(f"10 MB body over --max-body-bytes {MAX_BODY}: answered {answer!r}, expected 413")
    faults.big_body = outcome


def run_faults(server, seed, start_at, until, faults):
    """The fault threads, started at `start_at` (monotonic)."""
    time.sleep(max(0.0, start_at - time.monotonic()))
    threads = [threading.Thread(target=disconnect_loop, args=(server, i, seed, until, faults)) for i in range(2)]
    threads += [threading.Thread(target=slowloris, args=(server, i, i >= 2, faults)) for i in range(4)]
    threads.append(threading.Thread(target=big_body, args=(server, faults)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---------------------------------------------------------------------------

def settle(server, when, timeout=60.0):
    """Polls /metrics until nothing is queued, running or reserved; returns the gauges."""
    deadline = time.monotonic() + timeout
    while True:
        resp = server.client(timeout=30).get("/metrics")
        if resp.status != 200:
            raise ProtocolError(f"/metrics: HTTP {resp.status}")
        m = parse_metrics(resp.text())
        gauges = {name: m.value(name) for name in ("r1_queue_depth", "r1_running_sequences",
                                                   "r1_kv_tokens_reserved")}
        if not any(gauges.values()):
            return m, gauges
        if time.monotonic() > deadline:
            raise ProtocolError(f"/metrics {timeout:.0f} s after {when}: {gauges} (expected all 0: "
                                f"a leaked sequence or KV reservation)")
        time.sleep(0.2)


def mib(n):
    return round(n / (1 << 20), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("r1run")
    ap.add_argument("artifact")
    ap.add_argument("workdir")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json")
    ap.add_argument("--strict-repeats", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    model = os.path.basename(args.artifact)
    model = model[:-3] if model.endswith(".r1") else model
    server_args = ["--threads", args.threads, "--max-batch", 16, "--max-queue", 256, "--http-threads", 96,
                   "--read-timeout", READ_TIMEOUT, "--max-body-bytes", MAX_BODY, "--ctx", 1024]
    failures = []
    summary = {"clients": args.clients, "seconds": args.seconds, "seed": args.seed}
    try:
        with Server(args.r1run, args.artifact, args.workdir, "load", args=server_args) as server:
            server.start()
            print(f"serve_load.py: {server.url}, {args.clients} clients, warm-up {args.warmup:g} s, "
                  f"run {args.seconds:g} s", flush=True)
            warm = Stats()
            for t in run_clients(server, model, args.clients, args.seed + 1000, args.warmup, warm):
                t.join()
            failures += [f"warm-up: {f}" for f in warm.failures[:5]]
            settle(server, "the warm-up")
            rss_warm = rss_bytes(server.pid)

            stats, faults = Stats(), Faults()
            t0 = time.monotonic()
            threads = run_clients(server, model, args.clients, args.seed, args.seconds, stats)
            fault_thread = threading.Thread(target=run_faults, args=(
                server, args.seed, t0 + 0.2 * args.seconds, t0 + 0.8 * args.seconds, faults))
            fault_thread.start()
            for t in threads + [fault_thread]:
                t.join()

            if not server.alive():
                raise ServeError(f"the server died during the run (exit {server.proc.returncode}):\n"
                                 f"{server.stderr_tail()}")
            health = server.client(timeout=30).get("/health")
            if health.status != 200:
                failures.append(f"/health after the run: HTTP {health.status}")
            after = Stats()
            body = make_request(random.Random(args.seed))
            try:
                result = server.client(timeout=60).stream(PATHS[CHAT], body)
                after.ok(body, result, validate_stream(result, CHAT, n=body["n"], model=model,
                                                       include_usage=True, max_tokens=body["max_tokens"]))
            except (ProtocolError, OSError, http.client.HTTPException) as e:
                failures.append(f"a request after the run: {e}")
            metrics, gauges = settle(server, "the run")
            rss_after, rss_peak = rss_bytes(server.pid), peak_rss_bytes(server.pid)
            limit = RSS_FACTOR * rss_warm + RSS_SLACK
            if rss_after > limit:
                failures.append(f"RSS {mib(rss_after)} MiB after the run > {RSS_FACTOR} x {mib(rss_warm)} MiB "
                                f"after the warm-up + {mib(RSS_SLACK)} MiB = {mib(limit)} MiB (a leak?)")
            counted = metrics.value("r1_completion_tokens_total")
            ours = warm.tokens + stats.tokens + after.tokens
            if counted < ours:
                failures.append(f"r1_completion_tokens_total {counted:g} < the {ours} tokens the clients "
                                f"received")
            code = server.stop(signal.SIGTERM)
            if code != 0:
                failures.append(f"exit code {code} after SIGTERM, expected 0")

            failures += stats.failures[:20]
            if len(stats.failures) > 20:
                failures.append(f"... and {len(stats.failures) - 20} more failed requests")
            failures += faults.failures
            if args.strict_repeats:
                failures += [f"repeat mismatch: {m}" for m in stats.repeat_mismatches[:5]]
            summary.update(stats.summary())
            summary.update({
                "warmup_requests": warm.requests,
                "disconnects": faults.disconnects,
                "slowloris": faults.slowloris,
                "big_body": faults.big_body,
                "rss_mib": {"after_warmup": mib(rss_warm), "after_run": mib(rss_after), "peak": mib(rss_peak),
                            "limit": mib(limit)},
                "metrics_after": {k: v for k, v in gauges.items()},
                "completion_tokens_counted": counted,
                "repeat_mismatch_examples": stats.repeat_mismatches[:3],
                "failures": failures,
            })
    except (ServeError, ProtocolError) as e:
        failures.append(str(e))
        summary["failures"] = failures

    s = summary
    if "requests" in s:
        print(f"requests {s['requests']} ({s['requests_n2']} with n=2), failed {s['failed']}; "
              f"{s['tokens']} tokens streamed in {s['wall_seconds']} s = {s['tokens_per_s']} tokens/s")
        for key, label in (("ttft_ms", "TTFT"), ("inter_token_ms", "inter-token"), ("latency_ms", "latency")):
            p = s[key]
            print(f"{label} ms: p50 {p['p50']}, p95 {p['p95']}, p99 {p['p99']}")
        print(f"disconnects: {s['disconnects']}")
        for o in s["slowloris"]:
            if o["closed_after_s"] is not None:
                print(f"slowloris ({o['kind']}): closed after {o['closed_after_s']} s ({o['answer']})")
            else:
                print(f"slowloris ({o['kind']}): still open after {o['open_after_s']} s")
        print(f"10 MB body: {s['big_body']}")
        r = s["rss_mib"]
        print(f"RSS MiB: after warm-up {r['after_warmup']}, after the run {r['after_run']} (limit {r['limit']}), "
              f"peak {r['peak']}")
        print(f"metrics after: {s['metrics_after']}; repeats {s['repeats_checked']}, "
              f"mismatches {s['repeat_mismatches']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
    if failures:
        for f in failures:
            print(f"FAIL: {f}")
        sys.exit(1)
    print("serve_load.py: passed")


if __name__ == "__main__":
    main()
