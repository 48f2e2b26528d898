"""GET /metrics on the real MariaDB and Redis: who may read it, and the numbers the processes recorded."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.accounts import create_gate
from app.gates.decide import pending_key
from app.gates.in_flight import take_slot
from app.models.types import utcnow
from app.observability.metrics import LAST_FRAME_KEY, MetricsBatch, report_worker
from app.redis_client import get_redis


def samples(body: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted label items): value} of a Prometheus text exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def test_metrics_need_an_admin_or_the_scraper_token(app, people, admin_client, alice_client, monkeypatch) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/metrics").status_code == 401
    assert anonymous.get("/metrics").headers["WWW-Authenticate"].startswith("Bearer")
    # No token configured: a bearer header opens nothing, not even an empty one.
    assert anonymous.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert alice_client.get("/metrics").status_code == 403
    assert admin_client.get("/metrics").status_code == 200
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-secret")
    assert anonymous.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraped = anonymous.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert scraped.status_code == 200 and scraped.content_type.startswith("text/plain; version=0.0.4")
    assert b"# TYPE facegate_frames_received_total counter" in scraped.data


def test_metrics_show_what_the_processes_recorded(app, db, redis_client, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-secret")
    online, _ = create_gate("Front", "0")
    silent, _ = create_gate("Back", "1")
    rds = get_redis(app.config["REDIS_URL"])
    online.last_heartbeat_at = utcnow()
    db.session.commit()
    batch = MetricsBatch()
    batch.count("frames_received", (online.id,), 30)
    batch.count("frames_dropped", (online.id,), 4)
    batch.count("frames_processed", (online.id,), 26)
    batch.count("decisions", (online.id, "granted"))
    batch.observe("recognition_stage_seconds", ("detect",), 0.03)
    batch.observe("recognition_stage_seconds", ("detect",), 0.7)
    batch.stamp(LAST_FRAME_KEY, str(online.id), "1.0")
    report_worker(batch, 7)
    assert batch.write(rds)
    take_slot(rds, online.id, 4)
    rds.hset(pending_key(silent.id), "d1", "{}")
    rds.rpush("recognize", "a", "b")

    body = app.test_client().get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).get_data(as_text=True)
    found = samples(body)
    front, back = (("gate", str(online.id)),), (("gate", str(silent.id)),)
    assert found[("facegate_frames_received_total", front)] == 30
    assert found[("facegate_frames_dropped_total", front)] == 4
    assert found[("facegate_frames_processed_total", front)] == 26
    assert found[("facegate_decisions_total", (("gate", str(online.id)), ("type", "granted")))] == 1
    assert found[("facegate_recognition_stage_seconds_bucket", (("le", "0.05"), ("stage", "detect")))] == 1
    assert found[("facegate_recognition_stage_seconds_bucket", (("le", "1.0"), ("stage", "detect")))] == 2
    assert found[("facegate_recognition_stage_seconds_count", (("stage", "detect"),))] == 2
    assert found[("facegate_recognition_stage_seconds_sum", (("stage", "detect"),))] == pytest.approx(0.73)
    assert found[("facegate_queue_length", (("queue", "recognize"),))] == 2
    assert found[("facegate_frames_in_flight", front)] == 1
    assert found[("facegate_decisions_pending", back)] == 1
    assert found[("facegate_gate_up", front)] == 1 and found[("facegate_gate_up", back)] == 0
    assert found[("facegate_gate_heartbeat_age_seconds", front)] < 60
    assert ("facegate_gate_heartbeat_age_seconds", back) not in found
    assert found[("facegate_gate_last_frame_age_seconds", front)] > 1e9
    versions = [value for (name, _labels), value in found.items() if name == "facegate_worker_model_version"]
    assert versions == [7]


def test_the_dashboard_and_the_docs_name_only_metrics_that_exist(app, admin_client, repo_root) -> None:
    body = admin_client.get("/metrics").get_data(as_text=True)
    exposed = set(re.findall(r"^# HELP (facegate_\w+)", body, flags=re.MULTILINE))
    assert len(exposed) >= 19
    for document in ("docs/grafana-dashboard.json", "docs/operations.md"):
        named = set(re.findall(r"facegate_[a-z_]+[a-z]", (repo_root / document).read_text()))
        named = {re.sub(r"_(bucket|sum|count)$", "", name) for name in named}
        assert named - exposed == set(), document
        if document.endswith(".md"):
            assert exposed - named == set(), "every metric is documented"
