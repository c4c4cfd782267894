"""The names this module held before it was split by job; kept importable for code and pickles.

`context` (the call's `Op`), `tokens` (ClientTokens and generations), `waits` (progress while
waiting), `unkeyed` (writes without a ClientToken), `state` (reads of what writes target).
"""

from __future__ import annotations

from ..waiting import Outcome
from .context import Op
from .state import list_compute_nodes
from .tokens import MAX_TOKEN_GENERATIONS, client_token, failed_before
from .unkeyed import AMBIGUOUS_SETTLE_S, issue_unkeyed
from .waits import wait_with_progress

__all__ = [
    "AMBIGUOUS_SETTLE_S",
    "MAX_TOKEN_GENERATIONS",
    "Op",
    "Outcome",
    "client_token",
    "failed_before",
    "issue_unkeyed",
    "list_compute_nodes",
    "wait_with_progress",
]
