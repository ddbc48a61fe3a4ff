"""What a container would do, read from its command without ever running it.

Understood, and nothing else:

- no `command`/`args`: a long-running server (nginx, redis...): runs until stopped;
- `sh -c SCRIPT` / `bash -c SCRIPT` (also `/bin/sh`), or the command itself as one line;
- in a script: simple commands joined by `;`, `&&`, `||` or newlines, with shell quoting;
- `echo [-n] WORDS` prints WORDS (the pod's log), takes no time, exits 0;
- `printf FORMAT` prints FORMAT with `\\n` escapes;
- `sleep N` (seconds; `Ns`, `Nm`, `Nh` suffixes) takes N seconds;
- `exit N` ends the script with status N; `true` exits 0; `false` exits 1;
- any other command takes `UNKNOWN_COMMAND_SECONDS` and exits 0 (documented, not guessed).

Annotations on the pod (or its template) can inject behaviour for demos:
`kubesim.io/exit-code: "1"` overrides the exit status, `kubesim.io/run-seconds: "30"` the run time.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

UNKNOWN_COMMAND_SECONDS = 5.0
EXIT_CODE_ANNOTATION = "kubesim.io/exit-code"
RUN_SECONDS_ANNOTATION = "kubesim.io/run-seconds"
SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash", "ash", "/bin/ash"}


@dataclass(frozen=True)
class Program:
    """A container's fate: run time (None: forever), exit status and what it prints, when."""

    seconds: float | None
    exit_code: int = 0
    log: tuple[tuple[float, str], ...] = field(default_factory=tuple)

    @property
    def forever(self) -> bool:
        return self.seconds is None

    def log_until(self, elapsed: float) -> list[str]:
        return [line for at, line in self.log if at <= elapsed]


_SLEEP_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _sleep_seconds(arg: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", arg)
    return float(m.group(1)) * _SLEEP_UNITS[m.group(2)] if m else 0.0


def _split_script(script: str) -> list[tuple[str, str]]:
    """[(operator that joins it to the previous command, command text)]"""
    parts, op, current, quote = [], ";", "", ""
    i = 0
    while i < len(script):
        ch = script[i]
        if quote:
            current += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current += ch
        elif script.startswith("&&", i) or script.startswith("||", i):
            parts.append((op, current))
            op, current = script[i : i + 2], ""
            i += 1
        elif ch in ";\n":
            parts.append((op, current))
            op, current = ";", ""
        else:
            current += ch
        i += 1
    parts.append((op, current))
    return [(o, c.strip()) for o, c in parts if c.strip()]


def _run_simple(words: list[str], t: float, log: list[tuple[float, str]]) -> tuple[float, int, bool]:
    """(time after, status, stop) for one simple command."""
    cmd, args = words[0], words[1:]
    if cmd == "echo":
        newline = True
        if args and args[0] == "-n":
            newline, args = False, args[1:]
        text = " ".join(args)
        log.append((t, text if newline else text))
        return t, 0, False
    if cmd == "printf":
        text = (args[0] if args else "").replace("\\n", "\n")
        for line in text.rstrip("\n").split("\n"):
            log.append((t, line))
        return t, 0, False
    if cmd == "sleep":
        return t + sum(_sleep_seconds(a) for a in args), 0, False
    if cmd == "exit":
        return t, int(args[0]) if args and args[0].lstrip("-").isdigit() else 0, True
    if cmd in ("true", ":"):
        return t, 0, False
    if cmd == "false":
        return t, 1, False
    return t + UNKNOWN_COMMAND_SECONDS, 0, False


def run_script(script: str) -> Program:
    t, status, log = 0.0, 0, []
    for op, text in _split_script(script):
        if (op == "&&" and status != 0) or (op == "||" and status == 0):
            continue
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.split()
        if not words:
            continue
        t, status, stop = _run_simple(words, t, log)
        if stop:
            break
    return Program(t, status, tuple(log))


def read_container(container: dict, annotations: dict | None = None) -> Program:
    argv = list(container.get("command") or []) + list(container.get("args") or [])
    if not argv:
        program = Program(None)
    elif argv[0] in SHELLS and len(argv) >= 3 and argv[1] == "-c":
        program = run_script(argv[2])
    elif argv[0] in SHELLS and len(argv) == 1:
        program = Program(0.0)  # a shell with nothing to read exits at once
    else:
        program = run_script(shlex.join(argv))
    annotations = annotations or {}
    if RUN_SECONDS_ANNOTATION in annotations:
        program = Program(float(annotations[RUN_SECONDS_ANNOTATION]), program.exit_code, program.log)
    if EXIT_CODE_ANNOTATION in annotations:
        seconds = program.seconds if program.seconds is not None else 0.0
        program = Program(seconds, int(annotations[EXIT_CODE_ANNOTATION]), program.log)
    return program
