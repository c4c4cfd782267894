"""Driving the real engine for reliability scenarios: stack config with distinctive secrets, every
command's output and the exported state scanned for them, and the process tree for kills and RSS."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from tests.e2e.harness import DEMO_KEY_ID

# Distinctive values: if any of them shows up in a state file, a log or an error, it leaked.
SECRET = "reliabilitySecretQ7Zx93Lk0PmW2vB8nT"
STS_ID = "STS.reliabilityKey0042"
STS_SECRET = "stsSecretM4nB7vC2xZ9qW1eR6tY3uI0o"
STS_TOKEN = "CAISreliabilityStsTokenJ8hG5fD2sA9kL4mN7bV1cX6zQ3wE0rT"
SECRETS = (SECRET, STS_SECRET, STS_TOKEN)
SCANNED: dict[str, int] = {"runs": 0, "bytes": 0}


def stack_config(endpoint: str, *, sts: bool = False, secret: str | None = None) -> dict[str, auto.ConfigValue]:
    """Provider config pointing at the emulator; secrets stored as Pulumi secrets, as users must."""
    if sts:
        return {
            "ehpc:endpoint": auto.ConfigValue(endpoint),
            "ehpc:region": auto.ConfigValue("cn-hangzhou"),
            "ehpc:accessKeyId": auto.ConfigValue(STS_ID),
            "ehpc:accessKeySecret": auto.ConfigValue(secret or STS_SECRET, secret=True),
            "ehpc:securityToken": auto.ConfigValue(STS_TOKEN, secret=True),
        }
    return {
        "ehpc:endpoint": auto.ConfigValue(endpoint),
        "ehpc:region": auto.ConfigValue("cn-hangzhou"),
        "ehpc:accessKeyId": auto.ConfigValue(DEMO_KEY_ID),
        "ehpc:accessKeySecret": auto.ConfigValue(secret or SECRET, secret=True),
    }


def new_stack(name: str, program: Callable[[], None], endpoint: str, *, sts: bool = False,
              extra: Mapping[str, str] | None = None, project: str = "reliability") -> auto.Stack:
    stack = auto.create_or_select_stack(name, project_name=project, program=program)
    stack.set_all_config({**stack_config(endpoint, sts=sts),
                          **{k: auto.ConfigValue(v) for k, v in (extra or {}).items()}})
    return stack


def find_leaks(texts: Iterable[str], secrets: Iterable[str] = SECRETS, labels: Iterable[str] = ()) -> list[str]:
    """Which secrets appear in which of `texts` (names and places, never the values)."""
    found = []
    names = list(labels)
    for n, text in enumerate(texts):
        SCANNED["bytes"] += len(text)
        where = names[n] if n < len(names) else f"output#{n}"
        for i, value in enumerate(secrets):
            if value and value in text:
                found.append(f"secret#{i} in {where}")
    SCANNED["runs"] += 1
    return found


def scan_stack(stack: auto.Stack, *outputs: str, secrets: Iterable[str] = SECRETS) -> list[str]:
    """Scan what a user could hand to someone else: `pulumi stack export` (as users run it, without
    --show-secrets), every file of the state backend (checkpoints, history, backups), the PULUMI_HOME
    logs, and `outputs` (command output and error text), for `secrets`."""
    export = subprocess.run(["pulumi", "stack", "export", "--stack", stack.name], capture_output=True,
                            text=True, cwd=stack.workspace.work_dir, env=os.environ.copy(), timeout=120)
    texts, labels = [export.stdout + export.stderr], ["`pulumi stack export`"]
    roots = []
    backend = os.environ.get("PULUMI_BACKEND_URL", "")
    if backend.startswith("file://"):
        roots.append(Path(backend[len("file://"):]))
    if os.environ.get("PULUMI_HOME"):
        roots.append(Path(os.environ["PULUMI_HOME"]))
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.stat().st_size < 50_000_000 and path.suffix in (".json", ".log", ".bak",
                                                                                        ".gz", ".yaml", ""):
                try:
                    texts.append(path.read_bytes().decode(errors="replace"))
                    labels.append(f"file {path.relative_to(root)}")
                except OSError:
                    pass
    texts += outputs
    labels += [f"command output #{i}" for i in range(len(outputs))]
    return find_leaks(texts, secrets, labels=labels)


def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str]:
    """Run an Automation-API command; return (result or CommandError, all its text for scanning)."""
    try:
        result = fn(*args, **kwargs)
    except auto.CommandError as err:
        return err, str(err)
    text = "\n".join(str(getattr(result, a, "") or "") for a in ("stdout", "stderr", "summary"))
    return result, text


# -- processes ------------------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def descendants(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pulumi_cli_pids() -> list[int]:
    """`pulumi` CLI processes this test process started (the Automation API's children)."""
    return [p for p in descendants(os.getpid()) if cmdline(p).split(" ")[0].endswith("/pulumi")
            or cmdline(p).startswith("pulumi ")]


def provider_pids() -> list[int]:
    return [p for p in descendants(os.getpid()) if "pulumi.dynamic" in cmdline(p)]


def kill_tree(pid: int) -> list[int]:
    """SIGKILL `pid` and everything it started, all at once (a crashed machine, not a polite stop)."""
    victims = [pid, *descendants(pid)]
    for victim in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    return victims


@dataclass
class RssSampler:
    """Samples the peak RSS of the dynamic-provider processes (and the emulator) from /proc."""

    emulator_pid: int | None = None
    interval_s: float = 0.2
    provider_peak_mb: float = 0.0
    emulator_peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid in provider_pids():
                # The launcher script execs python; count each python -m pulumi.dynamic process.
                self.provider_peak_mb = max(self.provider_peak_mb, rss_mb(pid))
            if self.emulator_pid:
                self.emulator_peak_mb = max(self.emulator_peak_mb, rss_mb(self.emulator_pid))
            time.sleep(self.interval_s)
