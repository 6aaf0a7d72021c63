#!/usr/bin/env python3
"""Rerun README.md's curl examples against a real server and show (or write) what changed.

    swift build -c release --product max-server
    python3 scripts/readme-examples.py [--binary .build/release/max-server] [--port 5700] [--apply]

README's `console` blocks show `$ curl ... localhost:5000/...` commands with the output they
printed. Outputs that depend on the default model (probabilities, digit scores, boxes) change
whenever assets/mnist_cnn.h5 does, so this script starts the server each block describes — the
block's own `$ [VAR=value ...] max-server ...` line if one comes before its first curl, else `max-server serve` with the
repository's config.json — on PORT, runs every curl command of the block from the repository
root (removing any file an example writes with `curl -o`), and compares what it prints with
the recorded lines. With `--apply` the changed outputs
are written into README.md (review them with `git diff`).

Left alone, and listed as skipped: commands on another port (blocks that need a model trained
elsewhere), training routes (their keys are random), `/metrics` (counts depend on the requests
before it), and outputs abridged with `...`. A KServe v2 `"id"` the server generated is kept as
recorded. Exit status 1 if any example changed (and was not applied) or failed to run.
"""
import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_LINE = re.compile(r"^\$ ((?:[A-Z_]+=\S+ )*)max-server(.*?)\s*&?\s*$")
GENERATED_ID = re.compile(r'"id": "[0-9a-f]{16}-\d+"')


def console_blocks(lines):
    """(start, end) line indices of each ```console block's body."""
    blocks, start = [], None
    for i, line in enumerate(lines):
        if start is None and line.strip() == "```console":
            start = i + 1
        elif start is not None and line.strip() == "```":
            blocks.append((start, i))
            start = None
    return blocks


def examples(lines, start, end):
    """(index of the command line, command, recorded output lines) in one block."""
    found, i = [], start
    while i < end:
        if lines[i].startswith("$ "):
            j = i + 1
            while j < end and not lines[j].startswith("$ "):
                j += 1
            found.append((i, lines[i][2:], lines[i + 1:j]))
            i = j
        else:
            i += 1
    return found


def strip_comment(command):
    """The command without README's trailing `# 400`-style note (two or more spaces, then #)."""
    return re.split(r"\s{2,}#", command)[0].rstrip()


class Server:
    def __init__(self, binary, environment, arguments, port):
        args = shlex.split(arguments)
        if not args or args[0].startswith("-"):
            args = ["serve"] + args
        env = dict(os.environ, **environment)
        self.process = subprocess.Popen([binary] + args + ["--port", str(port)], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {' '.join(args)} exited: {self.process.stderr.read()[-400:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/model/metadata", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server {' '.join(args)} did not answer within 30 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def skip_reason(command, recorded):
    if re.search(r"localhost:(?!5000\b)\d+", command):
        return "another port"
    if "/train" in command:
        return "training jobs: random keys, training.enabled"
    if "/metrics" in command:
        return "counts depend on earlier requests"
    if any(line.strip() == "..." for line in recorded):
        return "output abridged"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "max-server"))
    parser.add_argument("--port", type=int, default=5700)
    parser.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    parser.add_argument("--apply", action="store_true", help="write the new outputs into README.md")
    args = parser.parse_args()
    lines = open(args.readme, encoding="utf-8").read().split("\n")
    replacements, same, changed, skipped, failed = {}, 0, 0, 0, 0
    for start, end in console_blocks(lines):
        block = examples(lines, start, end)
        curls = [e for e in block if e[1].startswith("curl ")]
        if not curls:
            continue
        environment, arguments = {}, ""
        for _, command, _ in block:
            if command.startswith("curl "):
                break  # a server line after the first curl is an illustration, not this block's server
            match = SERVER_LINE.match("$ " + strip_comment(command))
            if match:
                environment = dict(item.split("=", 1) for item in match.group(1).split())
                arguments = match.group(2)
                break
        runnable = [e for e in curls if not skip_reason(e[1], e[2])]
        for index, command, recorded in curls:
            reason = skip_reason(command, recorded)
            if reason:
                skipped += 1
                print(f"README line {index + 1}: skipped ({reason}): {command[:90]}")
        if not runnable:
            continue
        try:
            server = Server(args.binary, environment, arguments, args.port)
        except RuntimeError as error:
            failed += len(runnable)
            print(f"README line {start}: {error}")
            continue
        try:
            for index, command, recorded in runnable:
                shell = strip_comment(command).replace("localhost:5000", f"localhost:{args.port}")
                written = [path for path in re.findall(r"-o (\S+)", shell)
                           if path != "/dev/null" and not os.path.exists(os.path.join(ROOT, path))]
                result = subprocess.run(shell, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60)
                for path in written:  # files the example writes (curl -o) are not left in the repository
                    if os.path.exists(os.path.join(ROOT, path)):
                        os.remove(os.path.join(ROOT, path))
                printed = result.stdout.rstrip("\n").split("\n")
                recorded_text = "\n".join(recorded)
                if GENERATED_ID.search(recorded_text):
                    kept = GENERATED_ID.search(recorded_text).group(0)
                    printed = [GENERATED_ID.sub(kept, line) for line in printed]
                if printed == recorded:
                    same += 1
                    continue
                changed += 1
                print(f"README line {index + 1}: {command[:100]}")
                for old in recorded:
                    print(f"  - {old[:220]}")
                for new in printed:
                    print(f"  + {new[:220]}")
                replacements[index] = (len(recorded), printed)
        finally:
            server.stop()
    if args.apply and replacements:
        for index in sorted(replacements, reverse=True):
            count, printed = replacements[index]
            lines[index + 1:index + 1 + count] = printed
        open(args.readme, "w", encoding="utf-8").write("\n".join(lines))
        print(f"wrote {len(replacements)} outputs into {args.readme}")
    print(f"{same} unchanged, {changed} changed, {skipped} skipped, {failed} could not run")
    sys.exit(1 if failed or (changed and not args.apply) else 0)


if __name__ == "__main__":
    main()
