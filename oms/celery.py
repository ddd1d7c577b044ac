"""The Celery application. Without REDIS_URL, tasks run inline (see settings).

Every task the apps declare with `@shared_task` is built on `oms.task_base.ReliableTask`
(retries on transient errors, dead letter after the last try): the app's `task_cls`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms", task_cls="oms.task_base:ReliableTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
