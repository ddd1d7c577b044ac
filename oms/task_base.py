"""The base class of every project task (the Celery app's `task_cls`): retries on transient
errors only, with exponential backoff and jitter, and a dead letter when a task fails for good.

Why these choices:
- Only errors that a later try can cure are retried: a lost database or broker connection, a
  deadlock, a socket timeout. A bug fails at once; retrying it would only delay the dead letter.
- The countdowns (at most RETRY_BACKOFF_MAX seconds) stay far below the broker's visibility
  timeout, or Redis would hand a waiting retry to a second worker.
- A soft time limit (SoftTimeLimitExceeded) is not retried: a task that ran out of time once
  will run out of it again, and every task here is either periodic (the next run starts over)
  or backed by the outbox sweep. It is logged and dead-lettered like any final failure.
- A task that ran inline (no broker: `make run`, tests) keeps no dead letter: its error reaches
  the caller, who decides.
"""

import logging
import traceback

import kombu.exceptions
import redis.exceptions
from celery import Task
from celery.exceptions import Reject, SoftTimeLimitExceeded
from django.db import DatabaseError, InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (
    OperationalError,  # connection lost, deadlock, serialization failure, lock timeout
    InterfaceError,  # connection closed under us
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,  # the broker, when a task queues another
    TimeoutError,  # socket timeouts
    ConnectionError,  # refused or reset sockets
)
MAX_RETRIES = 5
RETRY_BACKOFF = 2  # seconds before the first retry, doubled at each one: 2, 4, 8, 16, 32
RETRY_BACKOFF_MAX = 300


class ReliableTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    max_retries = MAX_RETRIES
    retry_backoff = RETRY_BACKOFF
    retry_backoff_max = RETRY_BACKOFF_MAX
    retry_jitter = True  # full jitter: workers that failed together do not retry together

    def retry(self, *args, **kwargs):
        try:
            return super().retry(*args, **kwargs)
        except Reject as rejected:
            # The retry could not be queued (the broker is down too): Celery drops the message,
            # so this was the last try.
            self._keep_dead_letter(
                self.request.id, self.request.args, self.request.kwargs, rejected.reason
            )
            raise

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        if isinstance(exc, SoftTimeLimitExceeded):
            logger.error("tasks.soft_time_limit", extra={"task": self.name, "task_id": task_id})
        self._keep_dead_letter(task_id, args, kwargs, exc, einfo.traceback if einfo else None)

    def _keep_dead_letter(self, task_id, args, kwargs, exc, formatted_traceback=None) -> None:
        if self.request.is_eager:
            return
        error = formatted_traceback or "".join(traceback.format_exception(exc))
        logger.error(
            "tasks.dead_letter",
            extra={"task": self.name, "task_id": task_id, "error": repr(exc)},
        )
        # Imported here: this module loads with the Celery app, before Django's apps are ready.
        from notifications.models import DeadLetter

        try:
            with transaction.atomic():
                DeadLetter.objects.create(
                    task=self.name, args=list(args or []), kwargs=dict(kwargs or {}), error=error
                )
        except DatabaseError:
            # Often the very outage that failed the task; the log line above keeps the record.
            logger.exception("tasks.dead_letter_not_saved", extra={"task_id": task_id})
