#!/usr/bin/env python3
"""Runs the curl examples of docs/serving.md against a running server.

Usage: run_doc_examples.py R1RUN ARTIFACT WORKDIR DOC

Starts `r1run serve ARTIFACT` on a free port (serve_client.Server), then

Every ```sh block of DOC that calls curl is run with bash, as written apart
from the port (http://localhost:8000 becomes the test server's). Each must
exit 0 and print a JSON object, a well-formed event stream ending in
[DONE], or Prometheus text; one line per example, exit 1 on the first
failure. Which examples run is decided by the doc alone, so a new example is
tested without touching this script.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_client  # noqa: E402


def blocks(text):
    for match in re.finditer(r"```sh\n(.*?)```", text, re.S):
        body = match.group(1)
        if "curl " in body and "localhost:8000" in body:
            yield body


def check_output(body, out):
    if "/metrics" in body:
        if "r1_requests_total" not in out:
            return "no r1_requests_total in the metrics"
        return None
    if '"stream": true' in body:
        events = [e for e in out.split("\n\n") if e.strip()]
        if not events or events[-1].strip() != "data: [DONE]":
            return "the stream does not end with data: [DONE]"
        for event in events[:-1]:
            if not event.startswith("data: "):
                return "an event without data: " + event[:80]
            json.loads(event[len("data: "):])
        return None
    value = json.loads(out)
    if not isinstance(value, dict) or "error" in value:
        return "not a successful JSON object: " + out[:200]
    return None


def main():
    r1run, artifact, workdir, doc = sys.argv[1:5]
    examples = list(blocks(open(doc, encoding="utf-8").read()))
    if not examples:
        print("run_doc_examples.py: no curl examples in " + doc)
        return 1
    with serve_client.Server(r1run, artifact, workdir, "docs", args=["--threads", "2"]) as server:
        server.start()
        status = run_examples(examples, str(server.port))
        code = server.stop()
        if status == 0 and code != 0:
            print("r1run serve exited %d at SIGTERM" % code)
            return 1
        return status


def run_examples(examples, port):
    for i, body in enumerate(examples, 1):
        command = body.replace("localhost:8000", "localhost:" + port)
        run = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
        first = body.strip().splitlines()[0]
        if run.returncode != 0:
            print("example %d (%s) exited %d: %s" % (i, first, run.returncode, run.stderr))
            return 1
        try:
            problem = check_output(body, run.stdout)
        except ValueError as e:
            problem = "not JSON (%s): %s" % (e, run.stdout[:200])
        if problem:
            print("example %d (%s): %s" % (i, first, problem))
            return 1
        print("ok: example %d: %s" % (i, first))
    print("run_doc_examples.py: %d examples ok" % len(examples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
