"""The retention task, run nightly by celery beat (celery_config.BEAT_SCHEDULE): old rows, event files, raw photos."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from app.enrolment.service import enqueue_job
from app.observability.logfmt import logfmt
from app.retention import run_retention

logger = logging.getLogger(__name__)


@shared_task(name="facegate.retention", ignore_result=True)
def retention() -> dict:
    """Delete what the retention settings say has been kept long enough; the counts deleted. When visitors were
    forgotten, a training with forget follows, so no model file describes them any more."""
    report = run_retention(current_app.config)
    logger.info(logfmt("retention", **report.as_dict()))
    if report.visitors_forgotten:
        enqueue_job("train", forget=True)
    return report.as_dict()
