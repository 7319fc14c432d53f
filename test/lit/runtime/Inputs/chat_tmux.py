#!/usr/bin/python3
"""Drives `r1run chat` in a tmux pane like a person would, and checks the screen.

Usage: chat_tmux.py R1RUN ARTIFACT WORKDIR

1. a question gets a streamed reply and the prompt comes back;
2. Ctrl-C during a long reply stops it ("[stopped]") and the session goes on;
3. /save writes the conversation as JSON (user, assistant, user, assistant);
4. /reset, then /exit, ends the process with status 0.
Every wait polls the pane with a deadline, so a slow machine only makes it
slower. Exits non-zero with the pane's contents on any failure.
"""
import json
import os
import subprocess
import sys
import time

R1RUN, ARTIFACT, WORK = sys.argv[1:4]
SOCKET = os.path.join(WORK, "tmux.sock")  # a private server: no clash with others
SESSION = "r1chat"


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-S", SOCKET] + list(args), check=check,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout


def screen():
    return tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", SESSION)


def fail(message):
    print("FAIL:", message)
    print("---- pane ----")
    print(screen())
    tmux("kill-server", check=False)
    sys.exit(1)


def wait_for(predicate, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = screen()
        if predicate(text):
            return text
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def prompts(text):
    return sum(1 for line in text.splitlines() if line.startswith(">"))


status_file = os.path.join(WORK, "status")
command = (f"{R1RUN} chat {ARTIFACT} --seed 5 --max-tokens 100000 --ctx 4096; "
           f"echo $? > {status_file}; sleep 60")
tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "60", command)
wait_for(lambda t: "r1run chat:" in t and prompts(t) >= 1, "the banner and prompt")

# 1 + 2. A question; its reply is long (a random model rarely ends), so
# Ctrl-C stops it once it has started streaming.
tmux("send-keys", "-t", SESSION, "What is 1+1?", "Enter")
time.sleep(1.0)
tmux("send-keys", "-t", SESSION, "C-c")
wait_for(lambda t: "[stopped]" in t and prompts(t) >= 2, "[stopped] and a new prompt")
tmux("send-keys", "-t", SESSION, "And 2+2?", "Enter")
time.sleep(0.5)
tmux("send-keys", "-t", SESSION, "C-c")
wait_for(lambda t: t.count("[stopped]") >= 2 and prompts(t) >= 3, "the second reply stopped")

# 3. /save.
saved = os.path.join(WORK, "chat.json")
tmux("send-keys", "-t", SESSION, "/save " + saved, "Enter")
wait_for(lambda t: "saved 4 messages" in t, "the save message")
messages = json.load(open(saved))["messages"]
roles = [m["role"] for m in messages]
if roles != ["user", "assistant", "user", "assistant"]:
    fail(f"saved roles {roles}")
if messages[0]["content"] != "What is 1+1?" or messages[2]["content"] != "And 2+2?":
    fail(f"saved questions {messages}")
if not messages[1]["content"]:
    fail("the first reply is empty")

# 4. /reset and /exit.
tmux("send-keys", "-t", SESSION, "/reset", "Enter")
wait_for(lambda t: "conversation reset" in t, "the reset message")
tmux("send-keys", "-t", SESSION, "/exit", "Enter")
deadline = time.time() + 30
while not (os.path.exists(status_file) and open(status_file).read().strip()):
    if time.time() > deadline:
        fail("r1run chat did not exit after /exit")
    time.sleep(0.2)
code = open(status_file).read().strip()
tmux("kill-server", check=False)
if code != "0":
    print(f"FAIL: r1run chat exited with {code}")
    sys.exit(1)
print("chat in tmux: reply, Ctrl-C x2, /save (4 messages), /reset, /exit: ok")
