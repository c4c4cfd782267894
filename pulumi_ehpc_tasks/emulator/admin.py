"""The admin API under `/_emulator/` (loopback clients only): health, reset, stats, nodes (and changing one
outside the API), faults, scripts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..wire.actions import ACTIONS, ACTIONS_2024
from ..wire.task_models import TaskStatus
from . import render
from .faults import Fault
from .profiles import Profile, ends_of
from .state import OUTCOMES, TaskScript

if TYPE_CHECKING:
    from .app import Emulator

Endpoint = Callable[[Request], Awaitable[JSONResponse]]
_LOOPBACK = ("127.", "::1", "localhost")
# What `PATCH /_emulator/nodes/{InstanceId}` may change (a console, ECS or an operator's doing): key → Node field.
_NODE_CHANGES = {"Status": "status", "InstanceType": "instance_type", "ImageId": "image_id"}


def _loopback_only(endpoint: Endpoint) -> Endpoint:
    async def guarded(request: Request) -> JSONResponse:
        client = request.client.host if request.client else ""
        if not client.startswith(_LOOPBACK):
            return JSONResponse({"error": "the admin API answers loopback clients only"}, 403)
        return await endpoint(request)

    return guarded


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _script(data: dict[str, Any]) -> TaskScript:
    action = data.get("action")
    # 2024 writes with a step shape (`replaces`) take scripts too, matched by name like the 2018 ones.
    writes = sorted({name for name, spec in ACTIONS.items() if spec.is_async}
                    | {name for name, spec in ACTIONS_2024.items() if spec.replaces and not spec.read_only})
    if action not in (None, "*", *writes):
        raise ValueError(f"action must be null or one of {writes}")
    outcome = data.get("outcome", TaskStatus.SUCCESS.value)
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {[o.value for o in OUTCOMES]}")
    script = TaskScript(
        action=action,
        outcome=TaskStatus(outcome),
        succeed_count=data.get("succeed_count"),
        stuck_at_step=data.get("stuck_at_step"),
        duration_s=data.get("duration_s"),
        total_steps=data.get("total_steps"),
        profile=Profile(data["profile"]) if data.get("profile") is not None else None,
        step_durations=data.get("step_durations"),
    )
    for name in ("succeed_count", "stuck_at_step", "total_steps"):
        value = getattr(script, name)
        if value is not None and (not isinstance(value, int) or value < (0 if name == "succeed_count" else 1)):
            raise ValueError(f"{name} must be a positive integer or null")
    if script.duration_s is not None and float(script.duration_s) < 0:
        raise ValueError("duration_s must be >= 0")
    if script.step_durations is not None:
        if not isinstance(script.step_durations, list):
            raise ValueError("step_durations must be a list of seconds")
        ends_of(script.step_durations)  # raises on an empty list or a negative length
        if script.duration_s is not None or script.total_steps is not None or script.profile is not None:
            raise ValueError("step_durations excludes duration_s, total_steps and profile")
    return script


def admin_routes(emu: Emulator) -> list[Route]:
    """Routes bound to one emulator instance."""

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "cluster_id": emu.config.cluster_id,
                "open_tasks": len(emu.backend.open_task_ids()),
                "late_writes": emu.late_writes,  # requests still to be applied (fault `drop: late`)
            }
        )

    async def sts_tokens(request: Request) -> JSONResponse:
        # Every credential the STS peer issued, secrets included: only so that tests can scan state and
        # logs for them (loopback only, like the rest of the admin API).
        issued = [
            {"AccessKeyId": t.access_key_id, "AccessKeySecret": t.access_key_secret,
             "SecurityToken": t.security_token, "ExpiresAt": t.expires_at, "RoleArn": t.role_arn,
             "RoleSessionName": t.session_name}
            for t in emu.backend.sts_tokens.values()
        ]
        return JSONResponse({"tokens": issued})

    async def reset(request: Request) -> JSONResponse:
        emu.reset()
        return JSONResponse({"status": "reset"})

    async def forget_tokens(request: Request) -> JSONResponse:
        return JSONResponse({"forgotten": emu.backend.forget_tokens()})

    async def stats(request: Request) -> JSONResponse:
        now, tasks = emu.backend.all_tasks()
        return JSONResponse(
            {"requests": dict(emu.requests), "tasks": {t.task_id: render.admin_task(t, now) for t in tasks}}
        )

    async def nodes(request: Request) -> JSONResponse:
        return JSONResponse({"nodes": [render.admin_node(n) for n in emu.backend.all_nodes()]})

    async def change_node(request: Request) -> JSONResponse:
        try:
            data = await _json(request)
            unknown = sorted(set(data) - set(_NODE_CHANGES))
            if unknown or not data or not all(isinstance(v, str) and v for v in data.values()):
                raise ValueError(f"give one or more of {sorted(_NODE_CHANGES)} as non-empty strings"
                                 + (f" (unknown: {unknown})" if unknown else ""))
            node = emu.backend.change_node(request.path_params["instance_id"],
                                           **{_NODE_CHANGES[k]: v for k, v in data.items()})
        except KeyError:
            return JSONResponse({"error": f"no node {request.path_params['instance_id']}"}, 404)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse({"node": render.admin_node(node)})

    async def faults(request: Request) -> JSONResponse:
        if request.method == "DELETE":
            emu.faults.clear()
        elif request.method == "POST":
            try:
                emu.faults.add(Fault.from_json(await _json(request)))
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse({"faults": emu.faults.to_json()})

    async def next_task(request: Request) -> JSONResponse:
        if request.method == "DELETE":
            return JSONResponse({"dropped": emu.backend.clear_scripts(), "queued": 0})
        try:
            script = _script(await _json(request))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse({"queued": emu.backend.queue_script(script)})

    return [
        Route("/_emulator/health", _loopback_only(health), methods=["GET"]),
        Route("/_emulator/reset", _loopback_only(reset), methods=["POST"]),
        Route("/_emulator/stats", _loopback_only(stats), methods=["GET"]),
        Route("/_emulator/forget-tokens", _loopback_only(forget_tokens), methods=["POST"]),
        Route("/_emulator/sts-tokens", _loopback_only(sts_tokens), methods=["GET"]),
        Route("/_emulator/nodes", _loopback_only(nodes), methods=["GET"]),
        Route("/_emulator/nodes/{instance_id}", _loopback_only(change_node), methods=["PATCH"]),
        Route("/_emulator/faults", _loopback_only(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/next-task", _loopback_only(next_task), methods=["POST", "DELETE"]),
    ]
