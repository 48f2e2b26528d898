"""What forgetting a person asks of the parts that keep no row in the database: the event file writer (on its
host) scrubs their lines; the key it reads lives here, beside the enrolment service that forgets people."""

from __future__ import annotations

from collections.abc import Iterable

import redis

# Staff IDs of forgotten people whose lines the event file writer must still scrub from its files.
FORGET_KEY = "facegate:event-file:forget"


def forget_in_event_files(client: redis.Redis, staff_ids: Iterable[str]) -> None:
    """Ask the site's event file writer to scrub the lines of these staff IDs from its files (on its host)."""
    if staff_ids := list(staff_ids):
        client.sadd(FORGET_KEY, *staff_ids)
