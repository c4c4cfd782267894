"""One poll tick's `ListTasks` calls: as few as answer every task that is due.

- One task watched: `ListTasks(TaskId)` (one call, and it carries the terminal state).
- Several: the task history (`Archived=true`, newest first). It lists running and finished tasks
  alike, with their final Status/Result/Errors, so one listing both finds the tasks that ended and
  reads their terminal state: no follow-up lookups. A `TaskLocator` remembers where each watched
  task sat (its index counted from the newest task, which only grows as new tasks are prepended) and
  fetches only the pages holding due tasks; other watched tasks on those pages are updated for free.
  A task not where expected is searched on the pages around it, then by `ListTasks(TaskId)`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from .types import TaskLike, TaskSource

__all__ = ["MAX_SCAN_PAGES", "PAGE_SIZE", "TaskLocator"]

PAGE_SIZE = 50  # the API's maximum
MAX_SCAN_PAGES = 20  # 1000 tasks of history: a task not among them is looked up by id


@dataclass
class TaskLocator:
    """Where watched tasks sit in the `Archived=true` listing: index from the newest, at a total."""

    index: dict[str, int] = field(default_factory=dict)
    total: int | None = None

    def forget(self, task_id: str) -> None:
        self.index.pop(task_id, None)

    def fetch(self, source: TaskSource, cluster_id: str, due: Collection[str],
              watched: Collection[str] = ()) -> dict[str, TaskLike | None]:
        """Latest entry of each due task id (None where `ListTasks(TaskId)` returned nothing), plus
        any other `watched` task seen on the way."""
        wanted = set(due)
        if len(wanted) <= 1 and len(set(watched) | wanted) <= 1:
            return {tid: _by_id(source, cluster_id, tid) for tid in wanted}
        keep = wanted | set(watched)
        found: dict[str, TaskLike | None] = {}
        fetched: set[int] = set()

        def page(number: int) -> bool:
            """Fetch page `number` (50 a page); False when it is past the end of the history."""
            fetched.add(number)
            resp = source.list_tasks(cluster_id, archived=True, page_number=number, page_size=PAGE_SIZE)
            self.total = resp.total_count
            base = (number - 1) * PAGE_SIZE
            for i, task in enumerate(resp.tasks):
                if task.task_id in keep:
                    self.index[task.task_id] = base + i
                    found.setdefault(task.task_id, task)
            return bool(resp.tasks) and base + len(resp.tasks) < resp.total_count

        # Known tasks: the pages they were on, shifted by the tasks created since (learned from the
        # first page's TotalCount). Unknown ones: scan from the newest page.
        shift = 0
        known = {tid: self.index[tid] for tid in wanted if tid in self.index}
        last_total = self.total
        for _ in range(3):
            pages = sorted({(i + shift) // PAGE_SIZE + 1 for tid, i in known.items() if tid not in found}
                           - fetched)
            if not pages:
                break
            for number in pages:
                page(number)
            if last_total is not None and self.total is not None:
                shift = max(0, self.total - last_total)
        unknown = wanted - known.keys()
        if unknown:
            number = 1
            while unknown - found.keys() and number <= MAX_SCAN_PAGES:
                if number not in fetched and not page(number):
                    break
                number += 1
        for tid in wanted - found.keys():
            found[tid] = _by_id(source, cluster_id, tid)
            self.forget(tid)
        return found


def _by_id(source: TaskSource, cluster_id: str, task_id: str) -> TaskLike | None:
    page = source.list_tasks(cluster_id, task_id=task_id)
    return next((t for t in page.tasks if t.task_id == task_id), None)
