"""Driving the real engine for reliability scenarios: stack config with distinctive secrets, every
command's output and the exported state scanned for them, and the process tree for kills and RSS."""

from __future__ import annotations

import json
import os
import signal
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


def find_leaks(texts: Iterable[str], secrets: Iterable[str] = SECRETS) -> list[str]:
    """Which secrets appear in any of `texts` (names, never the values)."""
    found = []
    blob = "\n".join(texts)
    SCANNED["runs"] += 1
    SCANNED["bytes"] += len(blob)
    for i, value in enumerate(secrets):
        if value and value in blob:
            found.append(f"secret#{i}")
    return found


def scan_stack(stack: auto.Stack, *outputs: str) -> list[str]:
    """Scan the exported state (plaintext secrets would show here), the PULUMI_HOME logs and `outputs`."""
    state = json.dumps(stack.export_stack().deployment)
    logs: list[str] = []
    home = os.environ.get("PULUMI_HOME")
    for base in [Path(home)] if home else []:
        for path in base.rglob("*.log*"):
            try:
                logs.append(path.read_text(errors="replace"))
            except OSError:
                pass
    return find_leaks([state, *outputs, *logs])


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
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
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
