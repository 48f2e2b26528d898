"""A health-check task: proves a worker is up and can reach the database and Redis."""

from __future__ import annotations

import socket

from celery import shared_task
from sqlalchemy import func, select

from app.extensions import db
from app.models import Gate, Staff


@shared_task(name="facegate.ping")
def ping() -> dict:
    """Report the worker's host and what it sees in the database."""
    return {
        "host": socket.gethostname(),
        "staff": db.session.scalar(select(func.count()).select_from(Staff)),
        "gates": db.session.scalar(select(func.count()).select_from(Gate)),
    }
