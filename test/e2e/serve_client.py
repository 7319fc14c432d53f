#!/usr/bin/python3
"""The client side of `r1run serve` for the end-to-end tests and bench/serve_bench.py.

Standard library only (the tests run under /usr/bin/python3 with nothing
installed). What it provides:

  Server            starts `r1run serve ARTIFACT --port 0 --port-file F ...` as a
                    subprocess, waits for the port file, stops it with a signal
                    and returns its exit code; stdout and stderr go to files.
  Client            JSON over http.client: get/post returning a Response
                    (status, lower-cased headers, body), stream() for SSE.
  SseParser         the `data: {json}\\n\\n` ... `data: [DONE]\\n\\n` framing, strict:
                    anything else is recorded as an error, never skipped.
  validate_response / validate_stream
                    the OpenAI shapes of a completion and of a chunk stream
                    (role first, exactly one finish_reason per choice, usage last).
  parse_metrics     Prometheus text format 0.0.4 into {(name, labels): value}.
  rss_bytes         a process's resident set from /proc/PID/status.

`python3 serve_client.py` runs the module's self-test on inline samples
(no server needed).
"""
import http.client
import json
import math
import os
import re
import shutil
import signal
import subprocess
import time

DEFAULT_TIMEOUT = 120.0  # seconds for one HTTP exchange (a whole stream included)


class ServeError(Exception):
    """The server did not start, stop or answer as the specification says."""


class ProtocolError(Exception):
    """A response or a stream does not have the shape the specification gives."""


def resolve_tool(name):
    """A tool given by path, or by name on PATH (lit puts r1run there)."""
    if os.sep in name:
        if os.access(name, os.X_OK):
            return os.path.abspath(name)
        raise ServeError(f"{name}: not an executable file")
    found = shutil.which(name)
    if not found:
        raise ServeError(f"{name}: not found on PATH")
    return found


# ---------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------

class Server:
    """One `r1run serve` subprocess on 127.0.0.1 and a port the server picks.

    `tag` names its files in `workdir`: TAG.port (the port file), TAG.stderr and
    TAG.stdout. Usable as a context manager: leaving the block kills a server
    that is still running (a test that failed half-way leaves no process).
    """

    def __init__(self, r1run, artifact, workdir, tag, args=(), env=None, host="127.0.0.1"):
        self.r1run = resolve_tool(r1run)
        self.artifact = artifact
        self.workdir = workdir
        self.tag = tag
        self.args = [str(a) for a in args]
        self.env = env
        self.host = host
        self.port = None
        self.proc = None
        self.port_file = os.path.join(workdir, tag + ".port")
        self.stderr_path = os.path.join(workdir, tag + ".stderr")
        self.stdout_path = os.path.join(workdir, tag + ".stdout")

    def command(self):
        return [self.r1run, "serve", self.artifact, "--host", self.host, "--port", "0",
                "--port-file", self.port_file] + self.args

    def start(self, timeout=60.0):
        """Starts the server and waits until the port file names its port.

        The port file must hold the port in decimal and a newline; the server
        writes it atomically, so a partial file is an error, not a wait.
        """
        os.makedirs(self.workdir, exist_ok=True)
        if os.path.exists(self.port_file):
            os.remove(self.port_file)  # a stale one would be taken for this server's
        env = dict(os.environ)
        env.pop("R1RUN_API_KEY", None)  # only where a test sets it
        if self.env:
            env.update(self.env)
        with open(self.stderr_path, "wb") as err, open(self.stdout_path, "wb") as out:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + timeout
        while True:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    text = f.read()
                if not re.fullmatch(r"[0-9]+\n", text):
                    self.kill()
                    raise ServeError(f"{self.port_file}: holds {text!r}, not a port number and a "
                                     f"newline (it must be written atomically)")
                self.port = int(text)
                if not 0 < self.port < 65536:
                    self.kill()
                    raise ServeError(f"{self.port_file}: port {self.port} out of range")
                return self
            if self.proc.poll() is not None:
                raise ServeError(f"r1run serve ({self.tag}) exited with {self.proc.returncode} "
                                 f"before listening:\n{self.stderr_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise ServeError(f"r1run serve ({self.tag}) wrote no port file in {timeout:.0f} s:\n"
                                 f"{self.stderr_tail()}")
            time.sleep(0.02)

    @property
    def pid(self):
        return self.proc.pid

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr_text(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stderr_tail(self, lines=20):
        return "\n".join(self.stderr_text().splitlines()[-lines:])

    def client(self, api_key=None, timeout=DEFAULT_TIMEOUT):
        return Client(self.host, self.port, api_key=api_key, timeout=timeout)

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        """Sends `sig` and waits for the exit; returns the exit code (negative: a signal)."""
        if self.proc is None:
            raise ServeError("the server was never started")
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise ServeError(f"r1run serve ({self.tag}) did not exit within {timeout:.0f} s of "
                                 f"{signal.Signals(sig).name}")
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

_DEFAULT = object()  # "the client's own key"


class Response:
    """A whole HTTP response: status, headers (names lower-cased), body bytes."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self._json = _DEFAULT

    def json(self):
        """The body as JSON; ProtocolError (quoting the body) when it is not."""
        if self._json is _DEFAULT:
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise ProtocolError(f"HTTP {self.status}: the body is not JSON ({e}): "
                                    f"{self.body[:300]!r}")
        return self._json

    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:200]!r}>"


def _headers(message):
    """http.client's header list as a dict; repeated names joined with ", "."""
    out = {}
    for name, value in message.items():
        name = name.lower()
        out[name] = out[name] + ", " + value if name in out else value
    return out


class StreamResult:
    """A streamed response: the SSE events in order with their arrival times.

    status/headers as sent; for a status other than 200, `body` holds the whole
    body (an error object) and there are no events. `chunks` are the JSON
    objects, `times` their arrival (time.monotonic()), `t_start` when the
    request was sent, `done` whether `data: [DONE]` came, `errors` everything
    malformed (empty for a well-formed stream).
    """

    def __init__(self, status, headers, t_start):
        self.status = status
        self.headers = headers
        self.t_start = t_start
        self.body = b""
        self.chunks = []
        self.times = []
        self.done = False
        self.errors = []
        self.t_end = None

    def json(self):
        return Response(self.status, "", self.headers, self.body).json()


class Client:
    """JSON requests to one server; a fresh connection per request.

    api_key: sent as `Authorization: Bearer KEY` unless a call passes its own
    (api_key=None sends no header).
    """

    def __init__(self, host, port, api_key=None, timeout=DEFAULT_TIMEOUT):
        self.host = host
        self.port = port
        self.api_key = api_key
        self.timeout = timeout

    def _connection(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _prepare(self, body, headers, api_key):
        hdrs = {}
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        key = self.api_key if api_key is _DEFAULT else api_key
        if key is not None:
            hdrs["Authorization"] = f"Bearer {key}"
        hdrs.update(headers or {})
        return body, hdrs

    def request(self, method, path, body=None, headers=None, api_key=_DEFAULT):
        """One exchange; body: a JSON-able object, raw bytes, or None."""
        body, hdrs = self._prepare(body, headers, api_key)
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.reason, _headers(resp.headers), data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body=body, **kw)

    def stream(self, path, body, headers=None, api_key=_DEFAULT, on_event=None):
        """POSTs `body` and reads the answer as server-sent events.

        on_event(index, chunk) is called as each JSON chunk arrives (the
        concurrency checks use it to know a stream is under way).
        """
        body, hdrs = self._prepare(body, headers, api_key)
        conn = self._connection()
        try:
            t_start = time.monotonic()
            conn.request("POST", path, body=body, headers=hdrs)
            resp = conn.getresponse()
            result = StreamResult(resp.status, _headers(resp.headers), t_start)
            if resp.status != 200:
                result.body = resp.read()
                result.t_end = time.monotonic()
                return result
            parser = SseParser()
            while True:
                line = resp.readline()
                if not line:
                    break
                before = len(parser.chunks)
                parser.feed_line(line, time.monotonic())
                if on_event is not None and len(parser.chunks) > before:
                    on_event(len(parser.chunks) - 1, parser.chunks[-1])
            parser.close()
            result.t_end = time.monotonic()
            result.chunks, result.times = parser.chunks, parser.times
            result.done, result.errors = parser.done, parser.errors
            return result
        finally:
            conn.close()


# ---------------------------------------------------------------------------
# Server-sent events
# ---------------------------------------------------------------------------

class SseParser:
    """The stream framing of the specification, line by line.

    Well-formed: events of one `data: ` line followed by an empty line, each a
    JSON object, then `data: [DONE]` and nothing after it. Tolerated because
    SSE allows them: "\\r\\n" line ends, extra empty lines, comment lines
    (":..."; keep-alives), several data lines in one event (joined by "\\n").
    Errors (recorded, parsing goes on): another field (event:, id:, ...),
    `data:` without the space, data that is not a JSON object, invalid UTF-8,
    anything after [DONE], a stream that ends inside an event or a line.
    """

    def __init__(self):
        self.chunks = []
        self.times = []
        self.done = False
        self.errors = []
        self.comments = 0
        self._data = []
        self._line_no = 0
        self._partial = False

    def feed_line(self, line, t=None):
        """One line, with its line end (as readline returns it)."""
        self._line_no += 1
        if isinstance(line, str):
            line = line.encode("utf-8")
        if not line.endswith(b"\n"):
            # Only the last line of a stream can lack it; close() reports it.
            self._partial = True
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            self.errors.append(f"line {self._line_no}: invalid UTF-8 ({e})")
            return
        text = text.rstrip("\n").rstrip("\r")
        if text == "":
            self._dispatch(t)
        elif text.startswith(":"):
            self.comments += 1
        elif text.startswith("data: "):
            self._data.append(text[len("data: "):])
        elif text.startswith("data:"):
            self.errors.append(f"line {self._line_no}: 'data:' without a space: {text[:80]!r}")
        else:
            self.errors.append(f"line {self._line_no}: not a data line: {text[:80]!r}")

    def _dispatch(self, t):
        if not self._data:
            return  # an empty line between events
        data, self._data = "\n".join(self._data), []
        if self.done:
            self.errors.append(f"line {self._line_no}: an event after [DONE]: {data[:80]!r}")
            return
        if data == "[DONE]":
            self.done = True
            return
        try:
            obj = json.loads(data)
        except json.JSONDecodeError as e:
            self.errors.append(f"line {self._line_no}: data is not JSON ({e}): {data[:80]!r}")
            return
        if not isinstance(obj, dict):
            self.errors.append(f"line {self._line_no}: data is not a JSON object: {data[:80]!r}")
            return
        self.chunks.append(obj)
        self.times.append(t if t is not None else time.monotonic())

    def close(self):
        """The stream ended: an unterminated line or event is an error."""
        if self._partial:
            self.errors.append("the stream ended inside a line (no final newline)")
        if self._data:
            self.errors.append("the stream ended inside an event (no empty line after data)")
            self._data = []


def parse_sse(raw):
    """A whole stream (bytes or str) -> the finished SseParser."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    parser = SseParser()
    for line in raw.splitlines(keepends=True):
        parser.feed_line(line)
    parser.close()
    return parser


# ---------------------------------------------------------------------------
# OpenAI shapes
# ---------------------------------------------------------------------------

CHAT, COMPLETIONS = "chat", "completions"
PATHS = {CHAT: "/v1/chat/completions", COMPLETIONS: "/v1/completions"}
_OBJECTS = {CHAT: ("chat.completion", "chat.completion.chunk"),
            COMPLETIONS: ("text_completion", "text_completion")}
_ID_PREFIX = {CHAT: "chatcmpl-", COMPLETIONS: "cmpl-"}
FINISH_REASONS = ("stop", "length")


def _need(cond, message):
    if not cond:
        raise ProtocolError(message)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def validate_usage(usage, endpoint, where="usage"):
    """prompt/completion/total tokens (total = the sum); chat: reasoning_tokens."""
    _need(isinstance(usage, dict), f"{where} is not an object: {usage!r}")
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        _need(_is_int(usage.get(key)) and usage[key] >= 0, f"{where}.{key} missing or not a count: {usage!r}")
    _need(usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"],
          f"{where}: total_tokens != prompt_tokens + completion_tokens: {usage!r}")
    _need(usage["prompt_tokens"] > 0, f"{where}: prompt_tokens is 0: {usage!r}")
    if endpoint == CHAT:
        details = usage.get("completion_tokens_details")
        _need(isinstance(details, dict) and _is_int(details.get("reasoning_tokens")),
              f"{where}.completion_tokens_details.reasoning_tokens missing: {usage!r}")
        _need(0 <= details["reasoning_tokens"] <= usage["completion_tokens"],
              f"{where}: reasoning_tokens outside 0..completion_tokens: {usage!r}")
    return usage


class Choice:
    """One choice's text as the tests compare it."""

    def __init__(self, index):
        self.index = index
        self.reasoning = ""  # chat: reasoning_content ("" for null)
        self.content = ""    # chat: content; completions: text
        self.finish_reason = None
        self.reasoning_null = None  # chat, non-streaming: reasoning_content was null

    @property
    def text(self):
        """Everything generated (the stop-string checks cut this)."""
        return self.reasoning + self.content

    def __repr__(self):
        return (f"Choice({self.index}, reasoning={self.reasoning!r}, content={self.content!r}, "
                f"finish={self.finish_reason})")


class Completion:
    """A validated response or stream: its choices (by index), usage, id, model."""

    def __init__(self, choices, usage, id_, model, created):
        self.choices = choices
        self.usage = usage
        self.id = id_
        self.model = model
        self.created = created

    def texts(self):
        return [c.text for c in self.choices]


def _check_header(obj, endpoint, kind, model, where):
    _need(obj.get("object") == _OBJECTS[endpoint][kind],
          f"{where}: object {obj.get('object')!r}, expected {_OBJECTS[endpoint][kind]!r}")
    _need(isinstance(obj.get("id"), str) and obj["id"].startswith(_ID_PREFIX[endpoint])
          and len(obj["id"]) > len(_ID_PREFIX[endpoint]),
          f"{where}: id {obj.get('id')!r} does not start with {_ID_PREFIX[endpoint]!r}")
    _need(_is_int(obj.get("created")) and obj["created"] > 1_600_000_000,
          f"{where}: created {obj.get('created')!r} is not a Unix time")
    if model is not None:
        _need(obj.get("model") == model, f"{where}: model {obj.get('model')!r}, expected {model!r}")


def validate_response(obj, endpoint, n=1, model=None, max_tokens=None):
    """A non-streaming response -> Completion; ProtocolError naming what is wrong.

    With max_tokens: each choice's finish is "length" only if the usage allows
    it, and completion_tokens == n * max_tokens when every choice hit it.
    """
    _need(isinstance(obj, dict), f"the response is not an object: {obj!r}")
    _check_header(obj, endpoint, 0, model, "response")
    choices = obj.get("choices")
    _need(isinstance(choices, list) and len(choices) == n,
          f"response: {n} choices expected, got {choices!r}")
    out = []
    for i, ch in enumerate(choices):
        where = f"choices[{i}]"
        _need(isinstance(ch, dict) and ch.get("index") == i, f"{where}: index is not {i}: {ch!r}")
        _need("logprobs" in ch and ch["logprobs"] is None, f"{where}: logprobs must be null: {ch!r}")
        _need(ch.get("finish_reason") in FINISH_REASONS,
              f"{where}: finish_reason {ch.get('finish_reason')!r} is not stop or length")
        c = Choice(i)
        c.finish_reason = ch["finish_reason"]
        if endpoint == CHAT:
            msg = ch.get("message")
            _need(isinstance(msg, dict) and msg.get("role") == "assistant",
                  f"{where}.message: role is not assistant: {msg!r}")
            _need(isinstance(msg.get("content"), str), f"{where}.message.content is not a string: {msg!r}")
            _need("reasoning_content" in msg and (msg["reasoning_content"] is None
                                                   or isinstance(msg["reasoning_content"], str)),
                  f"{where}.message.reasoning_content is not a string or null: {msg!r}")
            c.content = msg["content"]
            c.reasoning_null = msg["reasoning_content"] is None
            c.reasoning = msg["reasoning_content"] or ""
        else:
            _need(isinstance(ch.get("text"), str), f"{where}.text is not a string: {ch!r}")
            c.content = ch["text"]
        out.append(c)
    usage = validate_usage(obj.get("usage"), endpoint)
    _check_token_counts(out, usage, n, max_tokens, "response")
    return Completion(out, usage, obj["id"], obj.get("model"), obj["created"])


def _check_token_counts(choices, usage, n, max_tokens, where):
    if max_tokens is None:
        return
    tokens = usage["completion_tokens"]
    _need(n <= tokens <= n * max_tokens,
          f"{where}: completion_tokens {tokens} outside {n}..{n * max_tokens} "
          f"(n {n}, max_tokens {max_tokens})")
    if all(c.finish_reason == "length" for c in choices):
        _need(tokens == n * max_tokens,
              f"{where}: every choice finished 'length' but completion_tokens is {tokens}, "
              f"not {n} x max_tokens {max_tokens}")


def validate_stream(result, endpoint, n=1, model=None, include_usage=False, max_tokens=None):
    """A StreamResult -> Completion (usage None without include_usage).

    Checks the framing (200, text/event-stream, no malformed events, [DONE]),
    every chunk's object/id/created/model (one id for the whole stream), each
    choice's first chunk carrying role "assistant" (chat), exactly one
    non-null finish_reason per choice index 0..n-1 and nothing for a choice
    after it, and with include_usage one last chunk with "choices": [] and the
    usage (without it, no chunk carries a usage).
    """
    _need(result.status == 200, f"stream: HTTP {result.status}: {result.body[:300]!r}")
    ctype = result.headers.get("content-type", "")
    _need(ctype.split(";")[0].strip() == "text/event-stream",
          f"stream: Content-Type {ctype!r}, expected text/event-stream")
    _need(not result.errors, "stream: malformed: " + "; ".join(result.errors[:5]))
    _need(result.done, "stream: no 'data: [DONE]' at the end")
    _need(result.chunks, "stream: no chunks before [DONE]")
    choices = {}
    usage = None
    stream_id = result.chunks[0].get("id")
    for k, chunk in enumerate(result.chunks):
        where = f"chunk {k}"
        _check_header(chunk, endpoint, 1, model, where)
        _need(chunk["id"] == stream_id, f"{where}: id {chunk['id']!r} differs from the first chunk's {stream_id!r}")
        _need(usage is None, f"{where}: a chunk after the usage chunk: {chunk!r}")
        parts = chunk.get("choices")
        _need(isinstance(parts, list), f"{where}: choices is not a list: {chunk!r}")
        if chunk.get("usage") is not None:
            _need(include_usage, f"{where}: a usage without stream_options.include_usage: {chunk!r}")
            _need(parts == [], f"{where}: the usage chunk must have \"choices\": []: {chunk!r}")
            usage = validate_usage(chunk["usage"], endpoint, where + ".usage")
            continue
        _need(parts, f"{where}: no choices and no usage: {chunk!r}")
        for part in parts:
            idx = part.get("index")
            _need(_is_int(idx) and 0 <= idx < n, f"{where}: choice index {idx!r} outside 0..{n - 1}")
            first = idx not in choices
            c = choices.setdefault(idx, Choice(idx))
            _need(c.finish_reason is None, f"{where}: choice {idx} continues after its finish_reason")
            fr = part.get("finish_reason", "missing")
            _need(fr is None or fr in FINISH_REASONS,
                  f"{where}: choice {idx}: finish_reason {fr!r} is not null, stop or length")
            if endpoint == CHAT:
                delta = part.get("delta")
                _need(isinstance(delta, dict), f"{where}: choice {idx}: no delta object: {part!r}")
                if first:
                    _need(delta.get("role") == "assistant",
                          f"{where}: choice {idx}'s first chunk has no role 'assistant': {part!r}")
                else:
                    _need("role" not in delta or delta["role"] is None,
                          f"{where}: choice {idx}: role in a later chunk: {part!r}")
                for key in ("reasoning_content", "content"):
                    piece = delta.get(key)
                    _need(piece is None or isinstance(piece, str),
                          f"{where}: choice {idx}: delta.{key} is not a string or null: {part!r}")
                c.reasoning += delta.get("reasoning_content") or ""
                c.content += delta.get("content") or ""
            else:
                _need(isinstance(part.get("text"), str), f"{where}: choice {idx}: text is not a string: {part!r}")
                c.content += part["text"]
            c.finish_reason = fr
    for idx in range(n):
        _need(idx in choices, f"stream: choice {idx} never appeared")
        _need(choices[idx].finish_reason is not None, f"stream: choice {idx} has no finish_reason")
    if include_usage:
        _need(usage is not None, "stream: include_usage but no usage chunk")
    ordered = [choices[i] for i in range(n)]
    if usage is not None:
        _check_token_counts(ordered, usage, n, max_tokens, "stream")
    first = result.chunks[0]
    return Completion(ordered, usage, stream_id, first.get("model"), first.get("created"))


def validate_error(resp, status, param=_DEFAULT, code=_DEFAULT, type_="invalid_request_error"):
    """An OpenAI error: HTTP `status`, {"error": {message, type, param, code}}.

    param/code: the expected value when given (None: must be null).
    Returns the error object.
    """
    _need(resp.status == status, f"HTTP {resp.status}, expected {status}: {resp.body[:300]!r}")
    body = resp.json()
    err = body.get("error") if isinstance(body, dict) else None
    _need(isinstance(err, dict), f"HTTP {status}: no error object: {body!r}")
    _need(isinstance(err.get("message"), str) and err["message"],
          f"HTTP {status}: error.message missing: {body!r}")
    _need(all(k in err for k in ("type", "param", "code")),
          f"HTTP {status}: error needs type, param and code (null allowed): {body!r}")
    if type_ is not None:
        _need(err["type"] == type_, f"HTTP {status}: error.type {err['type']!r}, expected {type_!r}")
    if param is not _DEFAULT:
        _need(err["param"] == param, f"HTTP {status}: error.param {err['param']!r}, expected {param!r}: {body!r}")
    if code is not _DEFAULT:
        _need(err["code"] == code, f"HTTP {status}: error.code {err['code']!r}, expected {code!r}: {body!r}")
    return err


# ---------------------------------------------------------------------------
# Prometheus text format 0.0.4
# ---------------------------------------------------------------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(r"^(" + _NAME + r")(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+(-?[0-9]+))?[ \t]*$")
_LABEL = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(,|$)')
_TYPE = re.compile(r"^#[ \t]+TYPE[ \t]+(" + _NAME + r")[ \t]+(counter|gauge|histogram|summary|untyped)[ \t]*$")
_HELP = re.compile(r"^#[ \t]+HELP[ \t]+(" + _NAME + r")([ \t].*)?$")


def _unescape(value):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "\\": "\\", '"': '"'}.get(m.group(1), "\\" + m.group(1)), value)


class Metrics:
    """Parsed /metrics: samples[(name, ((label, value), ...))] = float, types[name]."""

    def __init__(self):
        self.samples = {}
        self.types = {}

    def find(self, name, **labels):
        """[(labels dict, value)] of `name` whose labels include `labels`."""
        out = []
        for (n, lab), v in self.samples.items():
            d = dict(lab)
            if n == name and all(d.get(k) == str(val) for k, val in labels.items()):
                out.append((d, v))
        return out

    def value(self, name, **labels):
        """The one sample of `name` with exactly these labels (ProtocolError if absent)."""
        key = (name, tuple(sorted((k, str(v)) for k, v in labels.items())))
        if key not in self.samples:
            have = sorted({n for n, _ in self.samples})
            raise ProtocolError(f"/metrics: no sample {name}{labels or ''} (names: {', '.join(have)})")
        return self.samples[key]

    def total(self, name, **labels):
        """The sum of `name` over the samples whose labels include `labels` (0 if none)."""
        return sum(v for _, v in self.find(name, **labels))

    def histogram(self, name, **labels):
        """Checks histogram `name` and returns (count, sum).

        Buckets ascend in `le` with non-decreasing counts, end at le="+Inf",
        whose count is _count; _sum is there; the TYPE says histogram.
        """
        _need(self.types.get(name) == "histogram",
              f"/metrics: {name} has TYPE {self.types.get(name)!r}, expected histogram")
        buckets = []
        for d, v in self.find(name + "_bucket", **labels):
            _need("le" in d, f"/metrics: {name}_bucket without le: {d}")
            buckets.append((float(d["le"]), v))
        _need(buckets, f"/metrics: {name} has no buckets")
        buckets.sort()
        _need(math.isinf(buckets[-1][0]), f"/metrics: {name} has no le=\"+Inf\" bucket")
        for (le0, c0), (le1, c1) in zip(buckets, buckets[1:]):
            _need(c1 >= c0, f"/metrics: {name} buckets decrease: le={le0} {c0} > le={le1} {c1}")
        count = self.value(name + "_count", **labels)
        total = self.value(name + "_sum", **labels)
        _need(buckets[-1][1] == count, f"/metrics: {name}: +Inf bucket {buckets[-1][1]} != _count {count}")
        _need(total >= 0, f"/metrics: {name}_sum is negative: {total}")
        return count, total


def parse_metrics(text):
    """Prometheus text exposition format 0.0.4 -> Metrics; ProtocolError on a bad line.

    Checked: every line is a sample, a # TYPE / # HELP line, another comment or
    empty; names and labels are well-formed; values are floats (+Inf, NaN
    allowed); no sample repeats; TYPE appears at most once per name.
    """
    m = Metrics()
    for no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            t = _TYPE.match(line)
            if t:
                _need(t.group(1) not in m.types, f"/metrics line {no}: a second TYPE for {t.group(1)}")
                m.types[t.group(1)] = t.group(2)
            elif re.match(r"^#[ \t]+(TYPE|HELP)\b", line):
                _need(_HELP.match(line), f"/metrics line {no}: malformed: {line!r}")
            continue
        s = _SAMPLE.match(line)
        _need(s, f"/metrics line {no}: not a sample: {line!r}")
        name, raw_labels, raw_value = s.group(1), s.group(2), s.group(3)
        labels = []
        if raw_labels:
            pos = 0
            while pos < len(raw_labels):
                lm = _LABEL.match(raw_labels, pos)
                _need(lm and lm.end() > pos, f"/metrics line {no}: bad labels: {line!r}")
                labels.append((lm.group(1), _unescape(lm.group(2))))
                pos = lm.end()
                if lm.group(3) == "":
                    _need(pos == len(raw_labels), f"/metrics line {no}: bad labels: {line!r}")
        _need(len({k for k, _ in labels}) == len(labels), f"/metrics line {no}: a label repeats: {line!r}")
        try:
            value = float(raw_value)
        except ValueError:
            raise ProtocolError(f"/metrics line {no}: value {raw_value!r} is not a number")
        key = (name, tuple(sorted(labels)))
        _need(key not in m.samples, f"/metrics line {no}: a repeated sample: {line!r}")
        m.samples[key] = value
    return m


# ---------------------------------------------------------------------------
# Processes and statistics
# ---------------------------------------------------------------------------

def _proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise ServeError(f"/proc/{pid}/status has no {field}")


def rss_bytes(pid):
    """The resident set (VmRSS) of a running process, in bytes."""
    return _proc_status_kib(pid, "VmRSS") * 1024


def peak_rss_bytes(pid):
    """The peak resident set (VmHWM) of a running process, in bytes."""
    return _proc_status_kib(pid, "VmHWM") * 1024


def percentile(values, p):
    """The p-th percentile (0..100) with linear interpolation; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def token_times(result):
    """(TTFT, inter-chunk gaps) of a stream, in seconds.

    TTFT: from sending the request to the first chunk that carries text
    (the role-only first chunk of a chat stream does not count). The gaps are
    between successive text-carrying chunks: one token per chunk as r1run
    serve sends them, except where it holds back bytes (an incomplete UTF-8
    character, a possible stop string), so they estimate inter-token latency.
    """
    stamps = []
    for chunk, t in zip(result.chunks, result.times):
        for part in chunk.get("choices") or []:
            delta = part.get("delta") or {}
            if part.get("text") or delta.get("content") or delta.get("reasoning_content"):
                stamps.append(t)
                break
    if not stamps:
        return None, []
    return stamps[0] - result.t_start, [b - a for a, b in zip(stamps, stamps[1:])]


class Timings:
    """The timings of finished streams (the load test and bench/serve.sh):
    TTFT, inter-token gaps and whole-request latencies in seconds, tokens,
    and the span from the first request's start to the last one's end.
    Not locked: the caller holds its own lock around add()."""

    def __init__(self):
        self.requests = 0
        self.tokens = 0
        self.ttft, self.itl, self.latency = [], [], []
        self.t_first = self.t_last = None

    def add(self, result, completion_tokens):
        ttft, gaps = token_times(result)
        self.requests += 1
        self.tokens += completion_tokens
        if ttft is not None:
            self.ttft.append(ttft)
        self.itl.extend(gaps)
        self.latency.append(result.t_end - result.t_start)
        self.t_first = result.t_start if self.t_first is None else min(self.t_first, result.t_start)
        self.t_last = result.t_end if self.t_last is None else max(self.t_last, result.t_end)


# ---------------------------------------------------------------------------
# Self-test on inline samples: `python3 serve_client.py`
# ---------------------------------------------------------------------------

def _expect_error(fn, fragment):
    try:
        fn()
    except ProtocolError as e:
        assert fragment in str(e), f"expected {fragment!r} in {e}"
        return
    raise AssertionError(f"no ProtocolError (expected {fragment!r})")


def _chunk(idx, delta, finish=None, obj="chat.completion.chunk", id_="chatcmpl-1"):
    return {"id": id_, "object": obj, "created": 1700000000, "model": "m",
            "choices": [{"index": idx, "delta": delta, "logprobs": None, "finish_reason": finish}]}


def _sse(*events):
    return "".join("data: " + (e if isinstance(e, str) else json.dumps(e)) + "\n\n" for e in events)


def self_test():
    # --- SSE framing ---
    good = _sse(_chunk(0, {"role": "assistant", "content": ""}),
                _chunk(0, {"reasoning_content": "Hel"}),
                _chunk(0, {"reasoning_content": "lo"}, "length"),
                {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
                 "model": "m", "choices": [],
                 "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7,
                           "completion_tokens_details": {"reasoning_tokens": 2}}},
                "[DONE]")
    p = parse_sse(good)
    assert not p.errors and p.done and len(p.chunks) == 4, (p.errors, p.done, p.chunks)
    p = parse_sse(good.replace("\n", "\r\n"))
    assert not p.errors and p.done and len(p.chunks) == 4, p.errors
    p = parse_sse(": keep-alive\n\n" + good)
    assert not p.errors and p.comments == 1
    # "data: [DONE]\n" and the end: the event was never terminated.
    assert parse_sse(good[:-1]).errors == ["the stream ended inside an event (no empty line after data)"]
    assert "inside a line" in parse_sse(good[:-2]).errors[0]
    assert not parse_sse(good[:-len("data: [DONE]\n\n")]).done
    assert "not JSON" in parse_sse("data: {oops\n\n").errors[0]
    assert "not a JSON object" in parse_sse("data: [1]\n\n").errors[0]
    assert "without a space" in parse_sse('data:{"a":1}\n\n').errors[0]
    assert "not a data line" in parse_sse("event: x\ndata: {}\n\n").errors[0]
    assert "after [DONE]" in parse_sse("data: [DONE]\n\ndata: {}\n\n").errors[0]
    assert "invalid UTF-8" in parse_sse(b"data: {\"a\":\"\xff\"}\n\n").errors[0]
    assert parse_sse('data: {"a":\ndata: 1}\n\n').chunks == [{"a": 1}]  # joined data lines

    # --- the stream's OpenAI shape ---
    def result(text, status=200, ctype="text/event-stream"):
        r = StreamResult(status, {"content-type": ctype}, 0.0)
        p = parse_sse(text)
        r.chunks, r.times, r.done, r.errors = p.chunks, list(range(1, len(p.chunks) + 1)), p.done, p.errors
        return r

    c = validate_stream(result(good), CHAT, model="m", include_usage=True, max_tokens=2)
    assert c.choices[0].reasoning == "Hello" and c.choices[0].content == "" and c.usage["completion_tokens"] == 2
    assert c.choices[0].finish_reason == "length"
    _expect_error(lambda: validate_stream(result(good), CHAT, include_usage=True, max_tokens=3), "not 1 x max_tokens 3")
    _expect_error(lambda: validate_stream(result(good), CHAT), "without stream_options.include_usage")
    _expect_error(lambda: validate_stream(result(good, ctype="application/json"), CHAT, include_usage=True),
                  "Content-Type")
    no_role = _sse(_chunk(0, {"content": "x"}, "stop"), "[DONE]")
    _expect_error(lambda: validate_stream(result(no_role), CHAT), "no role 'assistant'")
    twice = _sse(_chunk(0, {"role": "assistant"}), _chunk(0, {"content": "x"}, "stop"),
                 _chunk(0, {"content": "y"}, "stop"), "[DONE]")
    _expect_error(lambda: validate_stream(result(twice), CHAT), "continues after its finish_reason")
    unfinished = _sse(_chunk(0, {"role": "assistant"}), _chunk(1, {"role": "assistant"}, "stop"), "[DONE]")
    _expect_error(lambda: validate_stream(result(unfinished), CHAT, n=2), "choice 0 has no finish_reason")
    two = _sse(_chunk(0, {"role": "assistant"}, "stop"), _chunk(1, {"role": "assistant"}, "stop"), "[DONE]")
    assert validate_stream(result(two), CHAT, n=2).texts() == ["", ""]
    _expect_error(lambda: validate_stream(result(two), CHAT, n=3), "choice 2 never appeared")
    _expect_error(lambda: validate_stream(result(two), CHAT, n=1), "choice index 1 outside 0..0")
    interleaved = _sse(_chunk(1, {"role": "assistant"}), _chunk(0, {"role": "assistant"}),
                       _chunk(0, {"content": "a"}), _chunk(1, {"content": "b"}, "length"),
                       _chunk(0, {"content": "c"}, "stop"), "[DONE]")
    c = validate_stream(result(interleaved), CHAT, n=2)
    assert c.texts() == ["ac", "b"] and c.usage is None
    other_id = _sse(_chunk(0, {"role": "assistant"}), _chunk(0, {"content": "x"}, "stop", id_="chatcmpl-2"), "[DONE]")
    _expect_error(lambda: validate_stream(result(other_id), CHAT), "differs from the first chunk")
    no_done = _sse(_chunk(0, {"role": "assistant"}, "stop"))
    _expect_error(lambda: validate_stream(result(no_done), CHAT), "[DONE]")
    text = _sse(_chunk(0, None, obj="text_completion", id_="cmpl-9") | {"choices": [
        {"index": 0, "text": "ab", "logprobs": None, "finish_reason": None}]},
        _chunk(0, None, obj="text_completion", id_="cmpl-9") | {"choices": [
            {"index": 0, "text": "c", "logprobs": None, "finish_reason": "stop"}]}, "[DONE]")
    assert validate_stream(result(text), COMPLETIONS).texts() == ["abc"]
    ttft, gaps = token_times(result(good))
    assert ttft == 2 and gaps == [1], (ttft, gaps)  # the role-only chunk is not a token

    # --- non-streaming shape ---
    resp = {"id": "chatcmpl-x", "object": "chat.completion", "created": 1700000000, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "",
                                                 "reasoning_content": "Hello"},
                         "logprobs": None, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9,
                      "completion_tokens_details": {"reasoning_tokens": 4}}}
    c = validate_response(resp, CHAT, model="m", max_tokens=4)
    assert c.choices[0].text == "Hello" and not c.choices[0].reasoning_null
    _expect_error(lambda: validate_response(resp, CHAT, model="other"), "expected 'other'")
    _expect_error(lambda: validate_response(resp, CHAT, n=2), "2 choices expected")
    _expect_error(lambda: validate_response(resp, COMPLETIONS), "expected 'text_completion'")
    bad = json.loads(json.dumps(resp))
    bad["usage"]["total_tokens"] = 10
    _expect_error(lambda: validate_response(bad, CHAT), "total_tokens != prompt_tokens")
    err = Response(400, "", {}, json.dumps({"error": {"message": "bad", "type": "invalid_request_error",
                                                      "param": "temperature", "code": None}}).encode())
    validate_error(err, 400, param="temperature", code=None)
    _expect_error(lambda: validate_error(err, 400, param="top_p"), "expected 'top_p'")
    _expect_error(lambda: validate_error(err, 404), "expected 404")

    # --- Prometheus ---
    text = "\n".join([
        "# HELP r1_requests_total Requests by endpoint and status.",
        "# TYPE r1_requests_total counter",
        'r1_requests_total{endpoint="/v1/chat/completions",status="200"} 3',
        'r1_requests_total{endpoint="/v1/chat/completions",status="400"} 2',
        'r1_requests_total{endpoint="/v1/completions", status="200",} 1 1700000000000',
        "# TYPE r1_kv_tokens_reserved gauge",
        "r1_kv_tokens_reserved 0",
        "# TYPE r1_time_to_first_token_seconds histogram",
        'r1_time_to_first_token_seconds_bucket{le="0.01"} 1',
        'r1_time_to_first_token_seconds_bucket{le="0.1"} 3',
        'r1_time_to_first_token_seconds_bucket{le="+Inf"} 4',
        "r1_time_to_first_token_seconds_sum 0.5",
        "r1_time_to_first_token_seconds_count 4",
        'r1_info{version="a \\"b\\" \\\\ c"} 1',
        "r1_nan NaN", ""])
    m = parse_metrics(text)
    assert m.value("r1_requests_total", endpoint="/v1/chat/completions", status="200") == 3
    assert m.total("r1_requests_total", status="200") == 4
    assert m.total("r1_requests_total") == 6
    assert m.value("r1_kv_tokens_reserved") == 0
    assert m.histogram("r1_time_to_first_token_seconds") == (4, 0.5)
    assert m.find("r1_info")[0][0]["version"] == 'a "b" \\ c'
    assert math.isnan(m.value("r1_nan"))
    _expect_error(lambda: m.value("r1_missing"), "no sample r1_missing")
    _expect_error(lambda: parse_metrics("r1 1 2 3"), "not a sample")
    _expect_error(lambda: parse_metrics("r1 x 1"), "not a number")
    _expect_error(lambda: parse_metrics("r1 abc"), "not a number")
    _expect_error(lambda: parse_metrics('r1{a="1" b="2"} 1'), "bad labels")
    _expect_error(lambda: parse_metrics("r1 1\nr1 2"), "repeated sample")
    _expect_error(lambda: parse_metrics("# TYPE r1 countr\nr1 1"), "malformed")
    dec = parse_metrics(text.replace('le="0.1"} 3', 'le="0.1"} 0'))
    _expect_error(lambda: dec.histogram("r1_time_to_first_token_seconds"), "buckets decrease")

    # --- statistics and /proc ---
    assert percentile([3, 1, 2], 50) == 2 and percentile([1, 2], 50) == 1.5
    assert percentile([5], 99) == 5 and percentile([], 50) is None
    assert percentile(list(range(101)), 95) == 95
    assert rss_bytes(os.getpid()) > 1 << 20 and peak_rss_bytes(os.getpid()) >= rss_bytes(os.getpid()) // 2
    print("serve_client.py: self-test ok")


if __name__ == "__main__":
    self_test()
