"""Test-harness stand-in for `pulumi-language-python` (the Python language host).

Why this exists: the real language host is a Go module with no tags
(`github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3`), reachable only by a
pseudo-version, and the module proxy these machines use refuses every version of it. The `pulumi`
CLI, the engine, Pulumi's own `pulumi-language-python-exec` runner and the dynamic-provider host
are all real; only the small gRPC server that starts the runner is this file.

It follows the Go host (sdk/python/cmd/pulumi-language-python/main.go and sdk/python/toolchain/pip.go)
for the `pip` toolchain, the one the default "auto" picks without a uv.lock or poetry.lock:
* the `virtualenv` runtime option is resolved against the project root; `GetRequiredPackages` (called
  by every `pulumi up`/`preview`/`destroy`) creates it when it is missing or empty (`python3 -m venv`,
  `pip install --upgrade pip setuptools wheel`, `pip install -r requirements.txt` in the program
  folder), `InstallDependencies` (`pulumi install`) always does;
* it reports the installed packages that need a resource plugin (a `pulumi-plugin.json` with
  `"resource": true`, or a `pulumi-*` name without that file), as the engine then loads them;
* `Run` refuses a `virtualenv` that is not one, with the Go host's message, and runs
  `<venv>/bin/python pulumi-language-python-exec --monitor … PROGRAM` in the activated environment
  (venv/bin first on PATH, VIRTUAL_ENV set, PYTHONHOME unset); without the option it runs
  `$PULUMI_PYTHON_CMD` or `python3` from PATH.
Users never install this: a stock Pulumi has the real host.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, language_pb2, language_pb2_grpc, plugin_pb2

VERSION = os.environ.get("PULUMI_ENGINE_VERSION", "3.274.1")
EXEC = Path(__file__).resolve().with_name("pulumi-language-python-exec")
USER_ACTIONABLE_EXIT = 32  # the runner printed the error itself; the engine should just bail
PACKAGES_WITHOUT_PLUGINS = {"pulumi-policy", "pulumi-esc-sdk"}
# What the Go host runs in the venv to find each distribution's pulumi-plugin.json (one process).
LIST_PACKAGES = """import importlib.metadata, importlib.util, json, os
out = []
for dist in importlib.metadata.distributions():
    name = dist.metadata['Name']
    path = ''
    try:
        spec = importlib.util.find_spec(name.replace('-', '_'))
        locs = list(spec.submodule_search_locations or []) if spec else []
        found = [p for l in locs for p in [os.path.join(str(l), 'pulumi-plugin.json')] if os.path.isfile(p)]
        path = found[0] if found else ''
    except Exception:
        pass
    out.append({'name': name, 'version': dist.version, 'plugin_json': path})
print(json.dumps(out))"""

Writer = Callable[[str], None]


class HostError(Exception):
    """An error the Go host returns as the RPC's error (the engine prints its text)."""


def _base_python() -> str:
    """toolchain.CommandPath: $PULUMI_PYTHON_CMD, else python3, else python, from PATH."""
    names = [os.environ["PULUMI_PYTHON_CMD"]] if os.environ.get("PULUMI_PYTHON_CMD") else ["python3", "python"]
    for name in names:
        if found := shutil.which(name):
            return found
    raise HostError(f"failed to locate any of {names} on your PATH. Have you installed Python 3.6 or greater?")


def _searchup(start: Path, name: str) -> bool:
    return any((d / name).exists() for d in (start, *start.parents))


@dataclass(frozen=True)
class Pip:
    """The pip toolchain of one program: `venv` is the resolved virtualenv, None for the ambient Python."""

    option: str
    venv: Path | None

    @classmethod
    def of(cls, info: Any, is_plugin: bool = False) -> Pip:
        """parseOptions + ResolveToolchain."""
        options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
        venv = options.get("virtualenv", "")
        if not isinstance(venv, str):
            raise HostError("virtualenv option must be a string")
        toolchain = options.get("toolchain", "auto")
        if toolchain not in ("auto", "pip", "poetry", "uv"):
            raise HostError(f"unsupported toolchain option: {toolchain}")
        program = Path(info.program_directory or info.root_directory)
        if toolchain == "auto":
            toolchain = next(
                (t for t, lock in (("uv", "uv.lock"), ("poetry", "poetry.lock")) if _searchup(program, lock)), "pip"
            )
        if toolchain != "pip" or options.get("typechecker"):
            raise HostError(f"the harness language host runs only the pip toolchain without a typechecker: {options}")
        if is_plugin and not venv:
            venv = "venv"
        if not venv:
            return cls("", None)
        path = Path(venv) if Path(venv).is_absolute() else Path(info.root_directory) / venv
        return cls(venv, path)

    def python(self) -> str:
        return str(self.venv / "bin" / "python") if self.venv else _base_python()

    def env(self) -> dict[str, str]:
        """ActivateVirtualEnv."""
        env = dict(os.environ)
        if self.venv:
            env["PATH"] = os.pathsep.join(p for p in (str(self.venv / "bin"), env.get("PATH")) if p)
            env.pop("PYTHONHOME", None)
            env["VIRTUAL_ENV"] = str(self.venv)
        return env

    def is_venv(self) -> bool:
        return self.venv is not None and (self.venv / "bin" / "python").is_file()

    def validate(self) -> None:
        """ValidateVenv, with NewVirtualEnvError's text."""
        if not self.option or self.is_venv():
            return
        assert self.venv is not None
        what = "doesn't exist" if not self.venv.exists() else "doesn't appear to be a virtual environment"
        py = self.venv / "bin" / "python"
        raise HostError(
            f"The 'virtualenv' option in Pulumi.yaml is set to {self.option!r}, but {str(self.venv)!r} {what}; "
            "run the following commands to create the virtual environment and install dependencies into it:\n\n"
            f"    1. python3 -m venv {self.venv}\n    2. {py} -m pip install --upgrade pip setuptools wheel\n"
            f"    3. {py} -m pip install -r requirements.txt\n"
        )

    def ensure(self, cwd: Path, out: Writer, err: Writer) -> None:
        """EnsureVenv: install only when the virtualenv directory is missing or empty."""
        if not self.option or self.is_venv():
            return
        assert self.venv is not None
        if self.venv.exists() and not self.venv.is_dir():
            raise HostError(
                f"the 'virtualenv' option in Pulumi.yaml is set to {str(self.venv)!r} but it is not a directory"
            )
        if not self.venv.exists() or not any(self.venv.iterdir()):
            self.install(cwd, out, err)

    def install(self, cwd: Path, out: Writer, err: Writer) -> None:
        """toolchain.InstallDependencies."""
        if self.venv:
            out("Creating virtual environment...\n")
            _run(
                [_base_python(), "-m", "venv", str(self.venv)],
                cwd,
                dict(os.environ),
                out,
                err,
                f"creating virtual environment at '{self.venv}'",
            )
            out("Finished creating virtual environment\n")
        pip = [self.python(), "-m", "pip", "install"]
        out("Updating pip, setuptools, and wheel in virtual environment...\n")
        _run(
            [*pip, "--upgrade", "pip", "setuptools", "wheel"],
            cwd,
            self.env(),
            out,
            err,
            "updating pip, setuptools, and wheel",
        )
        out("Finished updating\n")
        if not (cwd / "requirements.txt").exists():
            return
        out("Installing dependencies in virtual environment...\n")
        _run([*pip, "-r", "requirements.txt"], cwd, self.env(), out, err, "installing dependencies")
        out("Finished installing dependencies\n")

    def plugin_packages(self) -> list[Any]:
        """listPulumiPackageInfos + packageDependencyFromPluginJSON: the resource plugins the engine will load."""
        try:
            proc = subprocess.run(
                [self.python(), "-c", LIST_PACKAGES], env=self.env(), capture_output=True, text=True, check=False
            )
        except OSError as exc:  # e.g. a non-empty `virtualenv` folder that is no venv: EnsureVenv leaves it
            raise HostError(f"calling `{self.python()} -c ...`: {exc}") from None
        if proc.returncode != 0:
            raise HostError(f"listing the installed packages failed: {proc.stderr.strip()}")
        deps, seen = [], set()
        for pkg in json.loads(proc.stdout):
            name = re.sub(r"[-_.]+", "-", pkg["name"]).lower()
            if name in seen:  # a distribution found on two sys.path entries; pip lists it once
                continue
            seen.add(name)
            meta = json.loads(Path(pkg["plugin_json"]).read_text()) if pkg["plugin_json"] else None
            if name in PACKAGES_WITHOUT_PLUGINS or (meta is None and not name.startswith("pulumi-")):
                continue
            if meta is not None and not meta.get("resource"):
                continue
            meta = meta or {}
            version = meta.get("version") or _plugin_version(pkg["version"])
            if not version:
                continue
            deps.append(
                plugin_pb2.PackageDependency(
                    name=meta.get("name") or name.removeprefix("pulumi-"),
                    kind="resource",
                    version=version if version.startswith("v") else f"v{version}",
                    server=meta.get("server", ""),
                )
            )
        return deps


def _plugin_version(version: str) -> str:
    """determinePluginVersion for plain releases (N.N[.N]); pre-releases are skipped, as the Go host skips
    the versions it cannot map."""
    if not re.fullmatch(r"\d+(\.\d+)*", version):
        return ""
    parts = version.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))


def _run(cmd: list[str], cwd: Path, env: dict[str, str], out: Writer, err: Writer, what: str) -> None:
    """Streams stdout and stderr to the writers; the error carries stderr, as the Go host's does."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors: list[str] = []

    def pump_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            errors.append(line)
            err(line)

    t = threading.Thread(target=pump_err, daemon=True)
    t.start()
    assert proc.stdout is not None
    for line in proc.stdout:
        out(line)
    code = proc.wait()
    t.join()
    if code != 0:
        raise HostError(f"{what} via '{' '.join(cmd)}': exit status {code}: {''.join(errors).strip()}")


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):  # type: ignore[misc]
    def __init__(self, engine_address: str) -> None:
        self._engine = engine_address
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def _engine_writers(self) -> tuple[Writer, Writer]:
        """createEngineWriters: install output as ephemeral engine log messages on one stream."""
        stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self._engine))
        stream = random.randint(1, 2**31 - 1)

        def writer(severity: int) -> Writer:
            return lambda text: stub.Log(
                engine_pb2.LogRequest(severity=severity, message=text, ephemeral=True, streamId=stream)
            )

        return writer(engine_pb2.INFO), writer(engine_pb2.ERROR)

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        try:
            pip = Pip.of(request.info)
            pip.ensure(Path(request.info.program_directory), *self._engine_writers())
            return language_pb2.GetRequiredPackagesResponse(packages=pip.plugin_packages())
        except HostError as exc:
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "method GetRequiredPlugins not implemented")

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        return language_pb2.GetProgramDependenciesResponse()

    def About(self, request: Any, context: Any) -> Any:
        return language_pb2.AboutResponse(executable=sys.executable, version=sys.version.split()[0])

    def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:
        """`pulumi install`: streams the install's output, then fails with its error if any."""
        chunks: queue.Queue[Any] = queue.Queue()
        failure: list[str] = []

        def work() -> None:
            try:
                Pip.of(request.info, request.is_plugin).install(
                    Path(request.info.program_directory),
                    lambda text: chunks.put(language_pb2.InstallDependenciesResponse(stdout=text.encode())),
                    lambda text: chunks.put(language_pb2.InstallDependenciesResponse(stderr=text.encode())),
                )
            except HostError as exc:
                failure.append(str(exc))
            finally:
                chunks.put(None)

        yield language_pb2.InstallDependenciesResponse(stdout=b"Installing dependencies...\n\n")
        threading.Thread(target=work, daemon=True).start()
        while (chunk := chunks.get()) is not None:
            yield chunk
        if failure:
            context.abort(grpc.StatusCode.UNKNOWN, failure[0])
        yield language_pb2.InstallDependenciesResponse(stdout=b"Finished installing dependencies\n\n")

    def Run(self, request: Any, context: Any) -> Any:
        try:
            pip = Pip.of(request.info)
            pip.validate()
            python = pip.python()
        except HostError as exc:
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))
        args = [python, str(EXEC)]
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
        env = pip.env()
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        try:
            child = subprocess.Popen(args, env=env, cwd=request.pwd or None)
        except OSError as exc:
            return language_pb2.RunResponse(error=f"problem executing program (could not run language executor): {exc}")
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
