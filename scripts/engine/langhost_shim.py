"""Test-harness stand-in for `pulumi-language-python` (the Python language host).

Why this exists: the real language host is a Go module with no tags
(`github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3`), reachable only by a
pseudo-version, and the module proxy these machines use refuses every version of it. The `pulumi`
CLI, the engine, Pulumi's own `pulumi-language-python-exec` runner and the dynamic-provider host
are all real; only the small gRPC server that starts the runner is this file.

It does what the Go host's `Run` does (sdk/python/cmd/pulumi-language-python/main.go): run
`<python> pulumi-language-python-exec --monitor … --engine … PROGRAM` with PULUMI_CONFIG and
PULUMI_CONFIG_SECRET_KEYS in the environment, the interpreter taken from the project's
`virtualenv` runtime option. Users never install this: a stock Pulumi has the real host.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

VERSION = os.environ.get("PULUMI_ENGINE_VERSION", "3.274.1")
EXEC = Path(__file__).resolve().with_name("pulumi-language-python-exec")
USER_ACTIONABLE_EXIT = 32  # the runner printed the error itself; the engine should just bail


def _python_for(info: Any) -> str:
    options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
    venv = options.get("virtualenv") or os.environ.get("PULUMI_RUNTIME_VIRTUALENV")
    if venv:
        path = Path(venv)
        if not path.is_absolute():
            path = Path(info.root_directory or info.program_directory) / path
        return str(path / "bin" / "python")
    return os.environ.get("PULUMI_PYTHON_CMD", "python3")


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):  # type: ignore[misc]
    def __init__(self, engine_address: str) -> None:
        self._engine = engine_address
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse()

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPluginsResponse()

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        return language_pb2.GetProgramDependenciesResponse()

    def About(self, request: Any, context: Any) -> Any:
        return language_pb2.AboutResponse(executable=sys.executable, version=sys.version.split()[0])

    def InstallDependencies(self, request: Any, context: Any) -> Any:
        return iter(())  # the harness creates the virtualenv itself

    def Run(self, request: Any, context: Any) -> Any:
        args = [_python_for(request.info), str(EXEC)]
        for flag, value in (
            ("monitor", request.monitor_address),
            ("engine", self._engine),
            ("project", request.project),
            ("root_directory", request.info.root_directory),
            ("stack", request.stack),
            ("pwd", request.pwd),
            ("dry_run", "true" if request.dryRun else "false"),
            ("parallel", str(request.parallel)),
            ("organization", request.organization),
        ):
            if value:
                args += [f"--{flag}", value]
        args.append(request.info.entry_point or ".")
        args += list(request.args)
        env = dict(os.environ)
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        try:
            child = subprocess.Popen(args, env=env, cwd=request.pwd or None)
        except OSError as exc:
            return language_pb2.RunResponse(error=f"could not run the language executor: {exc}")
        with self._lock:
            self._children.add(child)
        code = child.wait()
        with self._lock:
            self._children.discard(child)
        if code == 0:
            return language_pb2.RunResponse()
        if code == USER_ACTIONABLE_EXIT:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")

    def Cancel(self, request: Any, context: Any) -> Any:
        with self._lock:
            for child in self._children:
                child.send_signal(signal.SIGINT)
        return empty_pb2.Empty()


def main(argv: list[str]) -> int:
    if "-version" in argv or "--version" in argv:
        print(VERSION)
        return 0
    positional = [a for a in argv if not a.startswith("-")]
    engine = positional[-1] if positional else ""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageHost(engine), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)  # the engine reads the port from the first stdout line
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
