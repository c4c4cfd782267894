"""One poll tick's `ListTasks` calls: as few as answer every task that is due.

- One task due: `ListTasks(TaskId)` (one call, and it carries the terminal state).
- Several: the running list (`Archived=false`, 50 a page, stopping once every due task is found; other
  watched tasks on those pages are updated for free), then, for due tasks that left it, one
  `Archived=true` page (newest first, where recently finished
  tasks are) when two or more left, and `ListTasks(TaskId)` for any still unaccounted for.
"""

from __future__ import annotations

from collections.abc import Collection

from .types import TaskLike, TaskSource

__all__ = ["PAGE_SIZE", "fetch_tasks"]

PAGE_SIZE = 50  # the API's maximum
MAX_RUNNING_PAGES = 20  # 1000 running tasks: beyond that, something else is wrong


def fetch_tasks(source: TaskSource, cluster_id: str, due: Collection[str],
                watched: Collection[str] = ()) -> dict[str, TaskLike | None]:
    """Latest entry of each due task id (None where `ListTasks(TaskId)` returned nothing), plus any
    other `watched` task seen on the way."""
    wanted = set(due)
    if len(wanted) <= 1:
        return {tid: _by_id(source, cluster_id, tid) for tid in wanted}
    found: dict[str, TaskLike | None] = {}
    _scan(source, cluster_id, wanted, found, archived=False, max_pages=MAX_RUNNING_PAGES,
          bonus=set(watched) - wanted)
    left = wanted - found.keys()
    if len(left) >= 2:
        # One page only: the history can be long, and the newest page is where they would be.
        _scan(source, cluster_id, left, found, archived=True, max_pages=1)
    for tid in wanted - found.keys():
        found[tid] = _by_id(source, cluster_id, tid)
    return found


def _by_id(source: TaskSource, cluster_id: str, task_id: str) -> TaskLike | None:
    page = source.list_tasks(cluster_id, task_id=task_id)
    return next((t for t in page.tasks if t.task_id == task_id), None)


def _scan(source: TaskSource, cluster_id: str, wanted: set[str], found: dict[str, TaskLike | None], *,
          archived: bool, max_pages: int, bonus: set[str] | None = None) -> None:
    seen = 0
    keep = wanted | (bonus or set())
    for number in range(1, max_pages + 1):
        page = source.list_tasks(cluster_id, archived=archived, page_number=number, page_size=PAGE_SIZE)
        for task in page.tasks:
            if task.task_id in keep and task.task_id not in found:
                found[task.task_id] = task
        seen += len(page.tasks)
        if wanted <= found.keys() or not page.tasks or seen >= page.total_count:
            return
