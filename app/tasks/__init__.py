"""Celery tasks. They stay thin: load ids, call plain functions, record progress."""

from app.tasks import enrolment_jobs, health, recognize, retention, webhooks  # noqa: F401  (registers the tasks)
