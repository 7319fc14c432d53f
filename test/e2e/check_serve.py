#!/usr/bin/python3
"""The functional end-to-end test of `r1run serve` (OpenAI-compatible HTTP).

Usage: check_serve.py R1RUN ARTIFACT WORKDIR

R1RUN is a path or a name on PATH. The artifact's file name must be m.r1
(the default model name "m" is checked). Three servers are started on
127.0.0.1 with --port 0 and a port file in WORKDIR, one after the other:

  plain   the protocol: /health, /v1/models, chat and completions with and
          without streaming, n = 3, seeds, temperature 0, top_k 1, stop
          strings, streaming == non-streaming, one request alone == the same
          request among 8 others in flight, every 400/404 error path, metrics.
  limits  --api-key, --model-name, --ctx 256, --max-body-bytes, and
          --max-batch 1 --max-queue 1: 401s, context_length_exceeded, the
          completion capped by the context, 413, 503 with Retry-After.
  kv      R1RUN_API_KEY from the environment, --no-think-prefix,
          --precision fp32, and --kv-tokens 160 with --max-batch 4: requests
          that do not fit the KV budget wait instead of failing, and the
          reservation never exceeds the capacity. Stopped with SIGINT.

After each server's requests, /metrics must settle to: no queued or running
sequence, no KV token reserved, r1_completion_tokens_total and
r1_prompt_tokens_total equal to the sums of the usages this script received,
and r1_requests_total{status="200"} equal to its successful requests.
Every server must exit 0 on the signal.

Prints "ok: ..." per check; on the first failure prints "FAIL: ..." with the
servers' stderr tails and exits 1. About 10 s with dsv3-tiny on 2 cores.
"""
import argparse
import os
import signal
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_client import (CHAT, COMPLETIONS, PATHS, ProtocolError, ServeError, Server,  # noqa: E402
                          parse_metrics, validate_error, validate_response, validate_stream)

THREADS = "2"  # lit may run other tests beside this one
STORY = [{"role": "user", "content": "Tell me a story."}]
STORY_PROMPT_TOKENS = 11  # <｜begin▁of▁sentence｜><｜User｜>Tell me a story.<｜Assistant｜><think>\n
# (the same count as `r1run generate --prompt 'Tell me a story.'`: R1's chat format)


class Failure(Exception):
    pass


def ok(message):
    print(f"ok: {message}", flush=True)


def check(cond, message):
    if not cond:
        raise Failure(message)


def first_difference(a, b):
    """A readable diff of two texts: the first differing position and both sides around it."""
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return (f"they differ from character {i} (lengths {len(a)} and {len(b)}):\n"
            f"  first:  ...{a[max(0, i - 20):i + 40]!r}\n  second: ...{b[max(0, i - 20):i + 40]!r}")


def same_text(a, b, what):
    check(a == b, f"{what}: {first_difference(a, b)}")


class Api:
    """One server's client, with the ledger that /metrics must match.

    Every successful generation request adds its usage (prompt and completion
    tokens) and counts as a 200 of its endpoint. A stream without
    include_usage must be given the usage it is known to have (the same
    request made otherwise), so that the ledger stays exact.
    """

    def __init__(self, server, key=None, model="m"):
        self.server = server
        self.client = server.client(api_key=key)
        self.model = model
        self.lock = threading.Lock()
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.ok = {CHAT: 0, COMPLETIONS: 0}
        self.unknown_usage = 0

    def _record(self, endpoint, usage):
        with self.lock:
            self.ok[endpoint] += 1
            if usage is None:
                self.unknown_usage += 1
            else:
                self.prompt_tokens += usage["prompt_tokens"]
                self.completion_tokens += usage["completion_tokens"]

    def generate(self, endpoint, body, stream=False, known_usage=None, on_event=None, capped=False):
        """A request that must succeed; returns the validated Completion.

        capped: max_tokens is over the context, so "length" does not mean
        max_tokens tokens (the caller checks the count).
        """
        body = dict(body)
        n = body.get("n", 1)
        max_tokens = None if capped else body.get("max_completion_tokens", body.get("max_tokens"))
        where = f"{PATHS[endpoint]} {'stream ' if stream else ''}{body}"
        try:
            if stream:
                body["stream"] = True
                include_usage = bool(body.get("stream_options", {}).get("include_usage"))
                result = self.client.stream(PATHS[endpoint], body, on_event=on_event)
                out = validate_stream(result, endpoint, n=n, model=self.model,
                                      include_usage=include_usage, max_tokens=max_tokens)
            else:
                resp = self.client.post(PATHS[endpoint], body)
                check(resp.status == 200, f"{where}: HTTP {resp.status}: {resp.body[:300]!r}")
                out = validate_response(resp.json(), endpoint, n=n, model=self.model,
                                        max_tokens=max_tokens)
        except ProtocolError as e:
            raise Failure(f"{where}: {e}")
        self._record(endpoint, out.usage if out.usage is not None else known_usage)
        return out

    def chat(self, body, **kw):
        return self.generate(CHAT, body, **kw)

    def chat_stream(self, body, include_usage=True, **kw):
        if include_usage:
            body = dict(body, stream_options={"include_usage": True})
        return self.generate(CHAT, body, stream=True, **kw)

    def complete(self, body, **kw):
        return self.generate(COMPLETIONS, body, **kw)

    def complete_stream(self, body, **kw):
        return self.generate(COMPLETIONS, dict(body, stream_options={"include_usage": True}),
                             stream=True, **kw)

    def error(self, method, path, body, status, **expect):
        """A request that must fail with `status` and an OpenAI error object."""
        resp = self.client.request(method, path, body=body)
        try:
            return validate_error(resp, status, **expect)
        except ProtocolError as e:
            raise Failure(f"{method} {path} {str(body)[:200]}: {e}")


def wait_for_log(server, line, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line in server.stderr_text():
            return
        time.sleep(0.05)
    raise Failure(f"{server.tag}: stderr does not say {line!r}:\n{server.stderr_tail()}")


def start(r1run, artifact, workdir, tag, args, name, env=None):
    server = Server(r1run, artifact, workdir, tag, args=args, env=env)
    try:
        server.start()
    except ServeError as e:
        raise Failure(str(e))
    wait_for_log(server, f"r1run: serving {name} on http://127.0.0.1:{server.port}")
    ok(f"{tag}: listening on port {server.port} (port file, stderr line)")
    return server


def stop(server, sig):
    try:
        code = server.stop(sig)
    except ServeError as e:
        raise Failure(str(e))
    check(code == 0, f"{server.tag}: exit code {code} after {signal.Signals(sig).name}, expected 0:\n"
                     f"{server.stderr_tail()}")
    check(not os.path.exists(server.port_file), f"{server.tag}: the port file {server.port_file} is left "
                                                f"after the exit")
    ok(f"{server.tag}: {signal.Signals(sig).name} stops it with exit code 0 (port file removed)")


def endpoint_of(label):
    """Which generation endpoint an r1_requests_total endpoint label means.

    The label is expected to be the path ("/v1/chat/completions"); any label
    naming "chat" counts for chat, and other "completions" for completions.
    """
    if "chat" in label:
        return CHAT
    if "completions" in label:
        return COMPLETIONS
    return None


def settled_metrics(api, capacity=None, timeout=10.0):
    """Polls /metrics until the server has let go of every request and its
    counters equal this script's ledger; fails with every mismatch if that
    does not happen within `timeout` (the server may finish its bookkeeping
    just after a response's last byte)."""
    check(api.unknown_usage == 0, f"internal: {api.unknown_usage} requests of unknown usage")
    deadline = time.monotonic() + timeout
    while True:
        resp = api.client.get("/metrics")
        check(resp.status == 200, f"/metrics: HTTP {resp.status}: {resp.body[:200]!r}")
        ctype = resp.headers.get("content-type", "")
        check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
              f"/metrics: Content-Type {ctype!r}, expected text/plain; version=0.0.4")
        try:
            m = parse_metrics(resp.text())
            wrong = []
            for name, kind in [("r1_requests_total", "counter"), ("r1_prompt_tokens_total", "counter"),
                               ("r1_completion_tokens_total", "counter"), ("r1_queue_depth", "gauge"),
                               ("r1_running_sequences", "gauge"), ("r1_kv_tokens_reserved", "gauge"),
                               ("r1_kv_tokens_capacity", "gauge")]:
                check(m.types.get(name) == kind, f"/metrics: {name} has TYPE {m.types.get(name)!r}, "
                                                 f"expected {kind}")
            for name in ("r1_queue_depth", "r1_running_sequences", "r1_kv_tokens_reserved"):
                if m.value(name) != 0:
                    wrong.append(f"{name} {m.value(name):g}, expected 0")
            if capacity is not None and m.value("r1_kv_tokens_capacity") != capacity:
                wrong.append(f"r1_kv_tokens_capacity {m.value('r1_kv_tokens_capacity'):g}, "
                             f"expected {capacity} (--kv-tokens)")
            for name, want in (("r1_completion_tokens_total", api.completion_tokens),
                               ("r1_prompt_tokens_total", api.prompt_tokens)):
                if m.value(name) != want:
                    wrong.append(f"{name} {m.value(name):g}, expected {want} (the sum of the usages)")
            got = {CHAT: 0, COMPLETIONS: 0}
            for labels, v in m.find("r1_requests_total", status="200"):
                ep = endpoint_of(labels.get("endpoint", ""))
                if ep:
                    got[ep] += v
            for ep in (CHAT, COMPLETIONS):
                if got[ep] != api.ok[ep]:
                    wrong.append(f"r1_requests_total{{endpoint=~{ep},status=\"200\"}} {got[ep]:g}, "
                                 f"expected {api.ok[ep]}")
            ttft, _ = m.histogram("r1_time_to_first_token_seconds")
            itl, _ = m.histogram("r1_inter_token_latency_seconds")
            if api.ok[CHAT] + api.ok[COMPLETIONS] and not (ttft > 0 and itl > 0):
                wrong.append(f"the latency histograms are empty (TTFT count {ttft:g}, ITL count {itl:g})")
        except ProtocolError as e:
            raise Failure(str(e))
        if not wrong:
            return m
        if time.monotonic() > deadline:
            raise Failure(f"{api.server.tag}: /metrics after all requests finished: " + "; ".join(wrong))
        time.sleep(0.1)


def run_concurrently(fns):
    """Runs the callables in threads started together; returns their results
    (an exception is re-raised in the caller)."""
    results = [None] * len(fns)
    errors = []
    barrier = threading.Barrier(len(fns))

    def body(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# ---------------------------------------------------------------------------
# plain: the protocol
# ---------------------------------------------------------------------------

def check_basics(api):
    c = api.client
    r = c.get("/health")
    check(r.status == 200 and r.json().get("status") == "ok", f"/health: {r!r}")
    ok("/health: 200 {\"status\": \"ok\"}")
    r = c.get("/v1/models")
    check(r.status == 200, f"/v1/models: {r!r}")
    body = r.json()
    check(body.get("object") == "list" and isinstance(body.get("data"), list) and len(body["data"]) == 1,
          f"/v1/models: not a list of one model: {body}")
    model = body["data"][0]
    check(model.get("id") == "m" and model.get("object") == "model" and model.get("owned_by") == "r1c"
          and isinstance(model.get("created"), int), f"/v1/models: {model}")
    ok("/v1/models: one model, id \"m\" (the artifact's file name), owned_by r1c")


def check_chat(api):
    """Chat without and with streaming; returns the non-streamed completion."""
    body = {"messages": STORY, "max_tokens": 16, "seed": 7, "temperature": 1.0}
    a = api.chat(body)
    ch, u = a.choices[0], a.usage
    check(ch.finish_reason == "length" and u["completion_tokens"] == 16,
          f"chat: expected 16 tokens and finish 'length': {ch}, {u}")
    check(u["prompt_tokens"] == STORY_PROMPT_TOKENS,
          f"chat: prompt_tokens {u['prompt_tokens']}, expected {STORY_PROMPT_TOKENS} (R1's chat format "
          f"with the <think> prefix)")
    # The prompt opens <think>; random weights never close it: all reasoning.
    check(ch.content == "" and ch.reasoning and not ch.reasoning_null,
          f"chat: expected all text in reasoning_content and content \"\": {ch}")
    check(u["completion_tokens_details"]["reasoning_tokens"] == 16, f"chat: reasoning_tokens: {u}")
    ok("chat: 16 tokens, finish length, usage, all text in reasoning_content")

    b = api.chat(dict(body, model="m", unknown_field={"x": 1}))
    same_text(a.choices[0].text, b.choices[0].text, "chat with model \"m\" and an unknown field")
    ok("chat: model \"m\" and unknown fields are accepted")
    m = api.chat({"messages": STORY, "max_completion_tokens": 5, "max_tokens": 50, "seed": 7})
    check(m.usage["completion_tokens"] <= 5, f"max_completion_tokens 5 (over max_tokens 50): {m.usage}")
    ok("chat: max_completion_tokens takes precedence over max_tokens")

    s = api.chat_stream(body)
    same_text(a.choices[0].reasoning, s.choices[0].reasoning, "streamed reasoning_content vs non-streamed")
    same_text(a.choices[0].content, s.choices[0].content, "streamed content vs non-streamed")
    check(s.usage == a.usage, f"streamed usage {s.usage} != non-streamed {a.usage}")
    check(s.choices[0].finish_reason == a.choices[0].finish_reason, "streamed finish_reason differs")
    ok("chat stream: well-formed, role first, one finish_reason, usage chunk, [DONE]; "
       "== the non-streamed response (same seed)")
    s2 = api.chat_stream(body, include_usage=False, known_usage=a.usage)
    same_text(a.choices[0].text, s2.choices[0].text, "stream without include_usage")
    ok("chat stream without include_usage: no usage chunk, same text")
    return a


def check_completions(api):
    body = {"prompt": "Once upon a time", "max_tokens": 12, "seed": 5, "temperature": 1.0}
    a = api.complete(body)
    check(a.choices[0].text, f"completions: empty text: {a.choices[0]}")
    b = api.complete(dict(body, prompt=["Once upon a time"]))
    same_text(a.choices[0].text, b.choices[0].text, "completions: prompt as a one-string array")
    s = api.complete_stream(body)
    same_text(a.choices[0].text, s.choices[0].text, "completions: streamed vs non-streamed")
    check(s.usage == a.usage, f"completions: streamed usage {s.usage} != {a.usage}")
    ok("completions: text_completion, stream == non-stream, prompt as [string]")
    two = {"prompt": "Once upon a time", "max_tokens": 8, "seed": 6, "n": 2}
    x, y = api.complete(two), api.complete_stream(two)
    check(x.texts() == y.texts(), f"completions n=2: streamed {y.texts()} != {x.texts()}")
    ok("completions: n=2 streamed == non-streamed")


def check_n(api):
    body = {"messages": STORY, "max_tokens": 12, "n": 3, "temperature": 1.0}
    a = api.chat(body)
    texts = a.texts()
    check(len(set(texts)) == 3, f"n=3 without a seed: the choices are not all different: {texts}")
    ok("n=3 without a seed: 3 different choices, usage over all")
    seeded = dict(body, seed=99)
    b, c = api.chat(seeded), api.chat(seeded)
    check(b.texts() == c.texts(), f"n=3 seed 99 twice: {b.texts()} != {c.texts()}")
    check(len(set(b.texts())) == 3, f"n=3 seed 99: choices are not all different: {b.texts()}")
    s = api.chat_stream(seeded)
    for i in range(3):
        same_text(b.choices[i].text, s.choices[i].text, f"n=3 seed 99: choice {i} streamed vs not")
    check(s.usage == b.usage, f"n=3: streamed usage {s.usage} != {b.usage}")
    ok("n=3 with a seed: reproducible, streamed == non-streamed, one finish_reason per choice")


def check_sampling(api):
    def text(**kw):
        return api.chat(dict({"messages": STORY, "max_tokens": 24}, **kw)).choices[0].text

    a, b = text(seed=11, temperature=1.0), text(seed=11, temperature=1.0)
    same_text(a, b, "seed 11 twice")
    c = text(seed=12, temperature=1.0)
    check(a != c, f"seeds 11 and 12 gave the same text: {a!r}")
    ok("seed: the same seed gives the same text, another seed another text")
    g1, g2, g3 = text(temperature=0, seed=1), text(temperature=0, seed=2), text(temperature=0)
    same_text(g1, g2, "temperature 0 with seeds 1 and 2")
    same_text(g1, g3, "temperature 0 with seed 1 and without a seed")
    ok("temperature 0: the same text whatever the seed")
    k1 = text(temperature=1.0, top_k=1, seed=3)
    same_text(g1, k1, "top_k 1 at temperature 1 vs temperature 0")
    ok("top_k 1: greedy")
    p = api.chat({"messages": STORY, "max_tokens": 8, "top_p": 0.5, "top_k": 40, "presence_penalty": 0.5,
                  "frequency_penalty": 0.5, "temperature": 0.7, "seed": 4})
    check(p.choices[0].text, f"top_p/penalties: empty text: {p.choices[0]}")
    ok("top_p, top_k, presence_penalty, frequency_penalty are accepted")


def pick_stop(text):
    """A 3-character stop string from the middle of `text` whose first
    occurrence has some text before it (no U+FFFD, no edge whitespace)."""
    for start in range(len(text) // 3, len(text) - 3):
        s = text[start:start + 3]
        if "\ufffd" in s or s != s.strip():
            continue
        first = text.find(s)
        if first >= 1 and not text[first - 1].isspace():
            return s, first
    raise Failure(f"stop: no usable stop string in {text!r}")


def check_stop(api):
    body = {"messages": STORY, "max_tokens": 32, "temperature": 0}
    full = api.chat(body).choices[0].text
    stop, at = pick_stop(full)
    want = full[:at]
    for variant, value in (("a string", stop), ("a list", [stop, "qqqq-never-qqqq"])):
        r = api.chat(dict(body, stop=value))
        check(r.choices[0].finish_reason == "stop", f"stop {value!r}: finish {r.choices[0].finish_reason}")
        same_text(want, r.choices[0].text, f"stop {value!r} ({variant}): the text before it")
    s = api.chat_stream(dict(body, stop=stop))
    check(s.choices[0].finish_reason == "stop", f"stop (stream): finish {s.choices[0].finish_reason}")
    same_text(want, s.choices[0].text, f"stop {stop!r} streamed")
    ok(f"stop {stop!r}: the text is cut before its first occurrence (char {at}), finish stop, "
       f"streamed too")


def check_concurrency(api):
    """The same requests alone and among 8 others in flight: identical text.

    Background: 8 streams of 200 tokens, started first; the two requests under
    test (a seeded one at temperature 1 and a greedy one) are sent once every
    background stream has produced its first chunk, and at least one
    background stream must still be running when they have finished.
    """
    seeded = {"messages": [{"role": "user", "content": "Why is the sky blue?"}], "max_tokens": 32,
              "seed": 21, "temperature": 1.0}
    greedy = {k: v for k, v in seeded.items() if k != "seed"} | {"temperature": 0}
    alone = [api.chat(seeded).choices[0].text, api.chat(greedy).choices[0].text]

    started = [threading.Event() for _ in range(8)]
    finished = [None] * 8
    failures = []

    def background(i):
        try:
            api.chat_stream({"messages": [{"role": "user", "content": f"Count to {10 + i}."}],
                             "max_tokens": 200, "seed": 100 + i, "temperature": 1.0},
                            on_event=lambda k, chunk: started[i].set())
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(f"background request {i}: {e}")
        finally:
            started[i].set()
            finished[i] = time.monotonic()

    threads = [threading.Thread(target=background, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for e in started:
        check(e.wait(120), "concurrency: a background stream produced nothing in 120 s")
    check(not failures, "; ".join(failures))
    together = run_concurrently([lambda: api.chat(seeded).choices[0].text,
                                 lambda: api.chat(greedy).choices[0].text])
    t_done = time.monotonic()
    for t in threads:
        t.join()
    check(not failures, "; ".join(failures))
    check(any(f > t_done for f in finished),
          "concurrency: every background stream had finished before the requests under test did; "
          "the check did not run them concurrently (raise the background max_tokens)")
    same_text(alone[0], together[0], "seed 21 alone vs among 8 requests in flight")
    same_text(alone[1], together[1], "temperature 0 alone vs among 8 requests in flight")
    ok("concurrency: seeded and greedy requests give the same text alone and among 8 others in flight")


def check_errors(api):
    chat, comp = PATHS[CHAT], PATHS[COMPLETIONS]
    base = {"messages": STORY, "max_tokens": 4}
    api.error("POST", chat, b'{"messages": [', 400)
    api.error("POST", chat, b"[1, 2]", 400)
    ok("bad JSON and a non-object body: 400 invalid_request_error")
    cases = [
        ("temperature", {"temperature": "hot"}), ("temperature", {"temperature": 2.5}),
        ("top_p", {"top_p": 0}), ("n", {"n": 0}), ("n", {"n": 17}), ("max_tokens", {"max_tokens": 0}),
        ("max_tokens", {"max_tokens": "many"}), ("stop", {"stop": 5}), ("messages", {"messages": "hi"}),
        ("messages[0].role", {"messages": [{"role": "robot", "content": "hi"}]}),
        ("messages[0].content", {"messages": [{"role": "user", "content": 5}]}),
    ]
    for param, change in cases:
        api.error("POST", chat, dict(base, **change), 400, param=param)
    api.error("POST", chat, {"max_tokens": 4}, 400, param="messages")
    ok("wrong fields: 400 naming the field in param (" + ", ".join(sorted({p for p, _ in cases})) + ")")
    api.error("POST", comp, {"max_tokens": 4}, 400, param="prompt")
    api.error("POST", comp, {"prompt": 5, "max_tokens": 4}, 400, param="prompt")
    api.error("POST", comp, {"prompt": ["a", "b"], "max_tokens": 4}, 400, param="prompt")
    ok("completions: a missing, non-string or two-string prompt: 400 param prompt")
    for path, body in ((chat, dict(base, model="other")), (comp, {"prompt": "x", "model": "other"})):
        api.error("POST", path, body, 404, param="model", code="model_not_found")
    ok("unknown model: 404 model_not_found, param model")
    for method, path in (("GET", "/v1/nothing"), ("POST", "/nothing"), ("GET", "/")):
        r = api.client.request(method, path, body={} if method == "POST" else None)
        check(r.status == 404, f"{method} {path}: HTTP {r.status}, expected 404")
    ok("unknown paths: 404")
    r = api.client.get("/health")
    check(r.status == 200 and api.server.alive(), "the server is not healthy after the errors")
    ok("the server is healthy after the error requests")


def plain_server(r1run, artifact, workdir):
    args = ["--threads", THREADS, "--ctx", "512", "--max-batch", "16", "--max-queue", "64",
            "--kv-tokens", "8192", "--http-threads", "32"]
    with start(r1run, artifact, workdir, "plain", args, "m") as server:
        api = Api(server)
        check_basics(api)
        check_chat(api)
        check_completions(api)
        check_n(api)
        check_sampling(api)
        check_stop(api)
        check_concurrency(api)
        check_errors(api)
        m = settled_metrics(api, capacity=8192)
        ok(f"plain: /metrics: {api.completion_tokens} completion and {api.prompt_tokens} prompt tokens, "
           f"{api.ok[CHAT]} chat and {api.ok[COMPLETIONS]} completions requests as counted here; "
           f"queue, running and KV reserved back to 0; histograms well-formed "
           f"(TTFT count {m.value('r1_time_to_first_token_seconds_count'):g})")
        stop(server, signal.SIGTERM)


# ---------------------------------------------------------------------------
# limits: keys, context, body size, queue
# ---------------------------------------------------------------------------

def limits_server(r1run, artifact, workdir):
    key, name, ctx, body_limit = "sekrit-key", "tiny-r1", 256, 65536
    args = ["--threads", THREADS, "--api-key", key, "--model-name", name, "--ctx", str(ctx),
            "--max-batch", "1", "--max-queue", "1", "--max-body-bytes", str(body_limit),
            "--kv-tokens", "1024"]
    with start(r1run, artifact, workdir, "limits", args, name) as server:
        api = Api(server, key=key, model=name)
        c = server.client()
        r = c.get("/health")
        check(r.status == 200, f"/health without a key: HTTP {r.status}")
        ok("/health needs no key")
        for path in ("/v1/models", "/metrics"):
            for label, kw in (("no key", {}), ("a wrong key", {"api_key": "wrong"}),
                              ("no Bearer", {"headers": {"Authorization": key}})):
                try:
                    validate_error(c.request("GET", path, **kw), 401, code="invalid_api_key", type_=None)
                except ProtocolError as e:
                    raise Failure(f"GET {path} with {label}: {e}")
        try:
            validate_error(c.post(PATHS[CHAT], {"messages": STORY, "max_tokens": 2}), 401,
                           code="invalid_api_key", type_=None)
        except ProtocolError as e:
            raise Failure(f"POST {PATHS[CHAT]} without a key: {e}")
        ok("no key, a wrong key, a key without Bearer: 401 invalid_api_key")
        r = api.client.get("/v1/models")
        check(r.status == 200 and r.json()["data"][0]["id"] == name, f"/v1/models with the key: {r!r}")
        ok(f"the right key: 200; --model-name: /v1/models lists {name!r}")
        api.chat({"messages": STORY, "max_tokens": 4, "model": name})
        api.error("POST", PATHS[CHAT], {"messages": STORY, "max_tokens": 4, "model": "m"}, 404,
                  param="model", code="model_not_found")
        ok(f"model {name!r} answers; the file name \"m\" is not a model now")

        # The prompt: 300 words against --ctx 256.
        long_words = " ".join(["hello"] * 300)
        for path, body in ((PATHS[CHAT], {"messages": [{"role": "user", "content": long_words}]}),
                           (PATHS[COMPLETIONS], {"prompt": long_words})):
            err = api.error("POST", path, dict(body, max_tokens=4), 400, code="context_length_exceeded")
            check(str(ctx) in err["message"], f"{path}: the message does not state the limit {ctx}: "
                                              f"{err['message']!r}")
        ok(f"a prompt over --ctx {ctx}: 400 context_length_exceeded, the message states {ctx}")

        # max_tokens over the context: the completion stops when the context is full.
        capped = api.chat({"messages": STORY, "max_tokens": 100000, "seed": 1}, capped=True)
        if capped.choices[0].finish_reason == "length":
            check(capped.usage["total_tokens"] == ctx,
                  f"max_tokens 100000 with --ctx {ctx}: total_tokens {capped.usage['total_tokens']}, "
                  f"expected {ctx}")
        else:
            check(capped.usage["total_tokens"] <= ctx, f"max_tokens over the context: {capped.usage}")
        ok(f"max_tokens over the context: the completion ends with the context ({capped.usage['total_tokens']} "
           f"tokens)")

        # Bodies: just under the limit (read, parsed: a 400 for its length) and just over it (413).
        under = ("hello " * ((body_limit - 200) // 6)).strip()
        raw = ('{"messages":[{"role":"user","content":"%s"}],"max_tokens":4}' % under).encode()
        check(len(raw) < body_limit, "internal: the under-limit body is too long")
        api.error("POST", PATHS[CHAT], raw, 400, code="context_length_exceeded")
        over = raw.replace(b'"max_tokens":4', b'"max_tokens":4,"pad":"' + b"x" * 8000 + b'"')
        r = api.client.post(PATHS[CHAT], over)
        check(r.status == 413, f"a body of {len(over)} bytes over --max-body-bytes {body_limit}: "
                               f"HTTP {r.status}, expected 413")
        r = api.client.get("/health")
        check(r.status == 200 and server.alive(), "the server is not healthy after a 413")
        ok(f"--max-body-bytes {body_limit}: {len(raw)} bytes are read, {len(over)} get 413; still healthy")

        # Queue: one running, one waiting; the rest of 6 simultaneous requests 503.
        long_body = {"messages": STORY, "max_tokens": 100000, "seed": 3}
        statuses = []
        for _ in range(3):  # a correct server answers 503 in the first round; the rest is slack
            def one():
                r = api.client.post(PATHS[CHAT], long_body)
                if r.status == 200:
                    validate_response(r.json(), CHAT, model=name)
                    api._record(CHAT, r.json()["usage"])
                elif r.status == 503:
                    retry = r.headers.get("retry-after", "")
                    check(retry.isdigit(), f"503 without a Retry-After of whole seconds: {r.headers}")
                    validate_error(r, 503, type_=None)
                return r.status
            try:
                statuses = run_concurrently([one] * 6)
            except ProtocolError as e:
                raise Failure(f"queue overflow: {e}")
            check(set(statuses) <= {200, 503}, f"6 requests with --max-batch 1 --max-queue 1: {statuses}")
            if 503 in statuses:
                break
        check(503 in statuses and 200 in statuses,
              f"6 simultaneous requests with --max-batch 1 --max-queue 1: {statuses}, expected some 503 "
              f"and some 200")
        ok(f"queue overflow: {statuses.count(503)} x 503 with Retry-After, {statuses.count(200)} x 200")
        r = api.client.get("/metrics")
        m = parse_metrics(r.text())
        check(m.total("r1_requests_total", status="503") >= statuses.count(503),
              f"r1_requests_total{{status=\"503\"}} {m.total('r1_requests_total', status='503'):g}, "
              f"expected at least {statuses.count(503)}")
        settled_metrics(api, capacity=1024)
        ok("limits: /metrics consistent with the requests; the 503s counted; KV reserved back to 0")
        stop(server, signal.SIGTERM)


# ---------------------------------------------------------------------------
# kv: the KV budget, the environment's key, --no-think-prefix
# ---------------------------------------------------------------------------

def kv_server(r1run, artifact, workdir):
    key, capacity = "env-key", 160
    args = ["--threads", THREADS, "--max-batch", "4", "--max-queue", "8", "--kv-tokens", str(capacity),
            "--ctx", "128", "--no-think-prefix", "--precision", "fp32"]
    with start(r1run, artifact, workdir, "kv", args, "m", env={"R1RUN_API_KEY": key}) as server:
        api = Api(server, key=key)
        r = server.client().get("/v1/models")
        check(r.status == 401, f"R1RUN_API_KEY set: /v1/models without a key: HTTP {r.status}, expected 401")
        check(api.client.get("/v1/models").status == 200, "R1RUN_API_KEY: the key is refused")
        ok("R1RUN_API_KEY: the key from the environment is required and accepted")

        body = {"messages": STORY, "max_tokens": 8, "seed": 5}
        a = api.chat(body)
        ch = a.choices[0]
        check(ch.content and ch.reasoning == "", f"--no-think-prefix: expected everything in content: {ch}")
        check(a.usage["completion_tokens_details"]["reasoning_tokens"] == 0,
              f"--no-think-prefix: reasoning_tokens {a.usage['completion_tokens_details']['reasoning_tokens']} "
              f"with no reasoning text, expected 0: {a.usage}")
        check(a.usage["prompt_tokens"] < STORY_PROMPT_TOKENS,
              f"--no-think-prefix: prompt_tokens {a.usage['prompt_tokens']} (the <think> prefix is still there?)")
        s = api.chat_stream(body)
        same_text(ch.content, s.choices[0].content, "--no-think-prefix streamed content")
        check(s.choices[0].reasoning == "", f"--no-think-prefix stream has reasoning: {s.choices[0]}")
        ok("--no-think-prefix: all text in content, no reasoning, streamed too")

        # 4 requests of ~10 + 64 tokens each into 160 KV tokens: at most 2 run
        # at once, the others wait (no 503: the queue holds 8).
        peak = {"running": 0, "reserved": 0, "queued": 0}
        stop_polling = threading.Event()
        poll_errors = []

        def poll():
            while not stop_polling.is_set():
                try:
                    m = parse_metrics(api.client.get("/metrics").text())
                    peak["running"] = max(peak["running"], m.value("r1_running_sequences"))
                    peak["reserved"] = max(peak["reserved"], m.value("r1_kv_tokens_reserved"))
                    peak["queued"] = max(peak["queued"], m.value("r1_queue_depth"))
                except Exception as e:  # noqa: BLE001 - reported below
                    poll_errors.append(str(e))
                    return
                time.sleep(0.01)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            run_concurrently([lambda i=i: api.chat({"messages": STORY, "max_tokens": 64, "seed": 50 + i})
                              for i in range(4)])
        finally:
            stop_polling.set()
            poller.join()
        check(not poll_errors, f"/metrics while the requests ran: {poll_errors[:1]}")
        check(peak["reserved"] <= capacity, f"r1_kv_tokens_reserved reached {peak['reserved']:g} over "
                                            f"--kv-tokens {capacity}")
        check(peak["running"] <= 2, f"r1_running_sequences reached {peak['running']:g}: more than the 2 "
                                    f"requests of ~74 tokens that fit in {capacity} KV tokens")
        ok(f"--kv-tokens {capacity}: 4 requests all answered; at most {peak['running']:g} running, "
           f"{peak['reserved']:g} KV tokens reserved, {peak['queued']:g} queued at once (sampled)")
        settled_metrics(api, capacity=capacity)
        ok("kv: /metrics consistent; KV reserved back to 0")
        stop(server, signal.SIGINT)


# ---------------------------------------------------------------------------
# shutdown: SIGTERM with long generations in flight
# ---------------------------------------------------------------------------

def shutdown_server(r1run, artifact, workdir):
    """SIGTERM ends requests in flight instead of waiting for them.

    A stream and a plain request of 3000 tokens each (minutes on this
    machine) are under way when SIGTERM comes: the server must exit 0 within
    10 s; the plain request gets HTTP 500 saying the server is shutting down;
    the stream ends early: with an error event saying so and [DONE] when the
    engine's error reaches it before httplib stops writing, else cut.
    """
    with start(r1run, artifact, workdir, "shutdown", ["--threads", THREADS], "m") as server:
        body = {"messages": STORY, "max_tokens": 3000}
        streaming = threading.Event()
        results = {}

        def stream():
            try:
                results["stream"] = server.client(timeout=60).stream(
                    PATHS[CHAT], dict(body, stream=True), on_event=lambda i, c: streaming.set())
            except OSError as e:  # the connection closed under the reader: cut too
                results["stream_error"] = e

        def plain():
            results["plain"] = server.client(timeout=60).post(PATHS[CHAT], body)

        threads = [threading.Thread(target=stream), threading.Thread(target=plain)]
        for t in threads:
            t.start()
        check(streaming.wait(30), "shutdown: the stream produced no chunk in 30 s")
        time.sleep(0.5)
        t0 = time.monotonic()
        stop(server, signal.SIGTERM)
        took = time.monotonic() - t0
        for t in threads:
            t.join(30)
        check(took < 10, f"shutdown: SIGTERM took {took:.1f} s with requests in flight")
        plain_result = results.get("plain")
        check(plain_result is not None and plain_result.status == 500 and
              "shutting down" in plain_result.json()["error"]["message"],
              f"shutdown: the request in flight got {plain_result!r}, not a 500 saying so")
        cut = results.get("stream")
        check(cut is not None or "stream_error" in results, "shutdown: the stream in flight got no answer")
        done = cut is not None and cut.done
        last = cut.chunks[-1] if cut is not None and cut.chunks else {}
        ended = "shutting down" in str((last.get("error") or {}).get("message", ""))
        check(not done or ended,
              f"shutdown: the stream in flight ended with [DONE] but no error event: {last!r}")
        ok(f"shutdown: SIGTERM with 3000-token requests in flight: exit 0 in {took:.1f} s; the plain "
           f"request got 500 'shutting down', the stream " +
           ("ended with an error event and [DONE]" if done else "was cut"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("r1run")
    ap.add_argument("artifact")
    ap.add_argument("workdir")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    check_name = os.path.basename(args.artifact)
    t0 = time.monotonic()
    try:
        check(check_name == "m.r1", f"{args.artifact}: this test expects an artifact named m.r1 (model \"m\")")
        plain_server(args.r1run, args.artifact, args.workdir)
        limits_server(args.r1run, args.artifact, args.workdir)
        kv_server(args.r1run, args.artifact, args.workdir)
        shutdown_server(args.r1run, args.artifact, args.workdir)
    except Exception as e:  # noqa: BLE001 - every failure is reported the same way
        if isinstance(e, (Failure, ServeError)):
            print(f"FAIL: {e}", flush=True)
        else:  # a connection error, a KeyError on an unexpected shape, ...
            print(f"FAIL: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc()
        for tag in ("plain", "limits", "kv"):
            path = os.path.join(args.workdir, tag + ".stderr")
            if os.path.exists(path):
                tail = open(path, errors="replace").read().splitlines()[-15:]
                print(f"--- {path} (last lines)\n" + "\n".join(tail), file=sys.stderr)
        sys.exit(1)
    print(f"check_serve.py: all checks passed in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
