"""Settings of the worker and beat processes that test_workers.py starts: the project's own, with
a slow mail backend that files each email, the test helpers loaded (task journal, short lease;
see workers.py), abandoned tasks looked for every second, and the sweep every second."""

import os
from datetime import timedelta

from oms.settings import *  # noqa: F403
from oms.settings import CELERY_BEAT_SCHEDULE, CELERY_BROKER_TRANSPORT_OPTIONS

MAILERS = {
    "default": {
        "BACKEND": "tests.notifications.workers.FilingMailBackend",
        "OPTIONS": {
            "directory": os.environ["OMS_TEST_MAIL_DIR"],
            "delay": float(os.environ.get("OMS_TEST_MAIL_DELAY", "0")),
        },
    }
}
CELERY_IMPORTS = ["tests.notifications.workers"]
# kombu looks for unacknowledged tasks older than the visibility timeout every 100 s by default.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {**CELERY_BEAT_SCHEDULE["sweep-outbox"], "schedule": timedelta(seconds=1)}
}
