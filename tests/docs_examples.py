#!/usr/bin/env python3
"""tests/docs_examples.py BIN_DIR FILE.md... — the examples in the docs are tests.

Checks every ```sh block of the given markdown files: lines starting with "$ "
are commands (a trailing backslash continues them), the lines after them up to the
next command or the end of the block are the expected output (stdout+stderr).
Each block runs in one bash session in a fresh temporary directory."""
import os, re, subprocess, sys, tempfile

BIN = os.path.abspath(sys.argv[1])
FILES_MD = sys.argv[2:]
FILES = {
    "daily.yaml": "# one partition a day, midnight to midnight in New York\ntype: daily\nstart: 2024-05-01\ntimezone: America/New_York\n",
}

def blocks(text):
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            j = i + 1
            body = []
            while lines[j].strip() != "```":
                body.append(lines[j]); j += 1
            yield i + 1, body
            i = j
        i += 1

def parse(body):
    cases = []
    k = 0
    while k < len(body):
        l = body[k]
        if l.startswith("$ "):
            cmd = l[2:]
            while cmd.endswith("\\") or cmd.count("'") % 2:
                k += 1
                cmd = cmd + "\n" + body[k]
            cases.append([cmd, []])
        elif cases:
            cases[-1][1].append(l)
        k += 1
    return cases

def run(cases):
    script = ["rc=0"]
    for n, (cmd, _) in enumerate(cases):
        script.append(f"echo '@@@{n}'; (exit $rc); {cmd}\nrc=$?")
    d = tempfile.mkdtemp()
    for name, content in FILES.items():
        open(os.path.join(d, name), "w").write(content)
    env = dict(os.environ, PATH=BIN + ":" + os.environ["PATH"], TZ="UTC", LC_ALL="C")
    env.pop("TRANCHE_NOW", None)
    out = subprocess.run(["bash", "-c", "\n".join(script) + "\n"], cwd=d, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    parts = re.split(r"^@@@\d+\n", out, flags=re.M)[1:]
    return parts

bad = 0
total = 0
for f in FILES_MD:
    text = open(f).read()
    for line, body in blocks(text):
        cases = parse(body)
        if not cases:
            continue
        outs = run(cases)
        for (cmd, exp), act in zip(cases, outs):
            total += 1
            e = "\n".join(exp).rstrip("\n")
            a = act.rstrip("\n")
            if e != a:
                bad += 1
                print(f"not ok {f}:{line}: $ {cmd}\n=== expected:\n{e}\n=== actual:\n{a}\n")
            else:
                print(f"ok {f}:{line}")
print(f"# docs: {total} commands, {bad} differ")
