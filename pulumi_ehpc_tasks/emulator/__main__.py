"""`python -m pulumi_ehpc_tasks.emulator` == `ehpc-tasks emulator serve`."""

from __future__ import annotations

from .cli import serve

if __name__ == "__main__":
    serve(prog_name="python -m pulumi_ehpc_tasks.emulator")
