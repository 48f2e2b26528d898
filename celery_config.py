"""Celery settings: broker and results on Redis, late acks, one task prefetched, one queue per kind of work."""

from __future__ import annotations

from celery.schedules import crontab
from kombu import Queue

QUEUES = ("capture", "preprocess", "train", "recognize")
# Webhook deliveries (app/tasks/webhooks.py) wait for other systems' servers, so they have a queue that a worker for
# every queue (no -Q) does not consume: only a worker of its own, `celery -A worker worker -Q webhooks`, runs them,
# and a slow receiver never takes a process that recognition needs.
WEBHOOK_QUEUE = "webhooks"
# Periodic tasks, sent by `celery -A worker beat` (one beat process per site): retention nightly at 03:17 UTC.
BEAT_SCHEDULE = {"retention": {"task": "facegate.retention", "schedule": crontab(hour=3, minute=17)}}


def celery_settings(redis_url: str) -> dict:
    """Celery's configuration for a deployment whose Redis lives at redis_url."""
    return {
        "broker_url": redis_url,
        "result_backend": redis_url,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # A task is acknowledged only once it has finished: a worker killed mid-task leaves it in the queue.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": [Queue(name) for name in QUEUES],
        "task_default_queue": "preprocess",
        "task_routes": {
            "facegate.capture": {"queue": "capture"},
            "facegate.preprocess": {"queue": "preprocess"},
            "facegate.train": {"queue": "train"},
            "facegate.recognize": {"queue": "recognize"},
            "facegate.retention": {"queue": "preprocess"},
            "facegate.deliver_webhook": {"queue": WEBHOOK_QUEUE},
        },
        "beat_schedule": BEAT_SCHEDULE,
        "result_expires": 24 * 3600,
        "broker_connection_retry_on_startup": True,
        # A message not acknowledged within this time is handed to another worker (Redis visibility timeout).
        "broker_transport_options": {"visibility_timeout": 3600},
        "worker_hijack_root_logger": False,
    }
