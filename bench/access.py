"""What the access-rule checks add to a gate decision, at 1,000 people, 50 gates and 100 rules on the real MariaDB.

`python -m bench.access [--people 1000] [--gates 50] [--rules 100] [--decisions 3000] [--json]` builds a scratch
database on the MariaDB at --mysql-url (dropped afterwards): the people in 20 groups, 10 schedules with weekly
windows and a holiday calendar, 80 group rules and 20 personal rules over the gates, every person's personal
clearance, and an anti-passback area on a fifth of the gates. Then, for --decisions random (person, gate, instant)
triples spread over a year in the site's time zone, it times, per decision:

1. `person lookup, before` and `person lookup, now`: record_decision's query for the person as it was before access
   rules, and as it is now (with the policy's revision as a subquery), in alternating order;
2. `rules on the cached policy`: policy_at (the process's cached policy for that revision) and check_access;
3. `added by the rules`: per decision, (now - before) + 2: what the rule checks add;
4. `anti-passback (area gates)`: check_passback at a gate of the area (one read: the area's mode and the person's
   side);
5. `one round trip (SELECT 1)`: the database's round trip on this machine, for scale;

and, once per policy change, `policy reload` (load_policy: the whole policy read from the database).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.access.passback import GateWay, check_passback
from app.access.policy import current_policy, load_policy, policy_at, revision_column
from app.access.rules import PersonPass, check_access
from app.extensions import db
from app.models import (
    AccessRule,
    Area,
    Gate,
    Group,
    Holiday,
    HolidayCalendar,
    Schedule,
    ScheduleWindow,
    Staff,
    User,
    staff_groups,
)
from app.models.staff import always_schedule
from testkit.processes import REPO_ROOT
from testkit.scoring import percentile
from testkit.site import drop_scratch, scratch_environment

CHECKS = ("person lookup, before", "person lookup, now", "rules on the cached policy", "added by the rules",
          "anti-passback (area gates)", "one round trip (SELECT 1)")
GROUPS = 20
SCHEDULES = 10
ZONE = "Europe/Berlin"


def _insert_people(count: int) -> list[int]:
    """count staff members with accounts, inserted in bulk (no password hashing); their row ids."""
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        conn.execute(sa.insert(User.__table__), [
            {"username": f"P{i:05d}", "password_hash": "x", "role": "staff", "active": True,
             "must_change_password": False, "created_at": now} for i in range(count)
        ])  # fmt: skip
        users = dict(conn.execute(sa.select(User.username, User.id)).all())
        conn.execute(sa.insert(Staff.__table__), [
            {"user_id": users[f"P{i:05d}"], "staff_id": f"P{i:05d}", "first_name": "Bench", "last_name": f"P{i}",
             "folder": f"Bench_P{i:05d}", "created_at": now, "kind": "staff"} for i in range(count)
        ])  # fmt: skip
    return list(db.session.scalars(sa.select(Staff.id).order_by(Staff.id)))


def build_site(people: int, gates: int, rules: int, rng: random.Random) -> tuple[list[int], list[int], set[int]]:
    """The scratch site (see the module docstring); the people's and gates' row ids and the area's gate ids."""
    gate_rows = [Gate(name=f"Gate {i:02d}", camera_source="", token_hash=uuid.uuid4().hex) for i in range(gates)]
    db.session.add_all(gate_rows)
    db.session.commit()
    staff_pks = _insert_people(people)
    groups = [Group(name=f"Group {i:02d}", description="") for i in range(GROUPS)]
    db.session.add_all(groups)
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.insert(staff_groups), [
            {"staff_id": pk, "group_id": group.id}
            for pk in staff_pks for group in rng.sample(groups, rng.choice((1, 1, 2)))
        ])  # fmt: skip
    calendar = HolidayCalendar(name="Public holidays")
    calendar.holidays = [Holiday(name=f"Holiday {i}", first_day=date(2026, 1, 1) + timedelta(days=25 * i),
                                 last_day=date(2026, 1, 1) + timedelta(days=25 * i + i % 3)) for i in range(14)]
    schedules = []
    for i in range(SCHEDULES):
        start = 6 * 60 + 30 * i
        windows = [ScheduleWindow(weekday=day, start_minute=start, end_minute=start + 8 * 60) for day in range(5)]
        windows.append(ScheduleWindow(weekday=5, start_minute=9 * 60, end_minute=13 * 60))
        schedules.append(Schedule(name=f"Schedule {i}", calendar=calendar if i % 2 else None, windows=windows))
    db.session.add_all([calendar, *schedules])
    db.session.commit()
    group_rules = rules * 4 // 5
    for i in range(rules):
        subject = {"group": groups[i % GROUPS]} if i < group_rules else {"staff_id": rng.choice(staff_pks)}
        db.session.add(AccessRule(name=f"Rule {i}", schedule=rng.choice(schedules),
                                  gates=rng.sample(gate_rows, rng.randint(1, 5)), **subject))  # fmt: skip
    db.session.commit()
    always = always_schedule()
    db.session.commit()
    clearances = [{"name": f"Clearance of {pk}", "staff_id": pk, "schedule_id": always.id, "is_clearance": True,
                   "enabled": True, "created_at": datetime.now(UTC)} for pk in staff_pks]  # fmt: skip
    with db.engine.begin() as conn:
        conn.execute(sa.insert(AccessRule.__table__), clearances)
        ids = conn.execute(sa.select(AccessRule.id).where(AccessRule.is_clearance.is_(True))).scalars().all()
        conn.execute(sa.insert(sa.table("access_rule_gates", sa.column("rule_id"), sa.column("gate_id"))),
                     [{"rule_id": rule_id, "gate_id": rng.choice(gate_rows).id} for rule_id in ids])  # fmt: skip
    area = Area(name="Office", anti_passback="hard")
    db.session.add(area)
    in_area = gate_rows[: max(1, gates // 5)]
    for index, gate in enumerate(in_area):
        gate.area, gate.area_side = area, "in" if index % 2 == 0 else "out"
    db.session.commit()
    return staff_pks, [g.id for g in gate_rows], {g.id for g in in_area}


def _timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - started) * 1000, result


def _lookup(query, code: str):
    """The row of record_decision's person lookup."""
    return db.session.execute(query, {"code": code}).first()


def _rules(revision: str | None, staff_pk: int, gate_id: int, when: datetime):
    """What record_decision runs for the rules once it has the revision: the cached policy and check_access."""
    return check_access(policy_at(revision, ZONE), PersonPass(staff_pk), gate_id, when)


def _summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
            "p99_ms": percentile(values, 99), "max_ms": max(values) if values else None}  # fmt: skip


def measure(args: argparse.Namespace) -> dict:
    """Build the site and time the checks; the figures."""
    rng = random.Random(args.seed)
    started = time.perf_counter()
    staff_pks, gate_ids, area_gates = build_site(args.people, args.gates, args.rules, rng)
    build_s = time.perf_counter() - started
    held = current_policy(ZONE)
    reloads = [_timed(load_policy, held.zone)[0] for _ in range(args.reloads)]
    codes = dict(db.session.execute(sa.select(Staff.id, Staff.staff_id)).all())
    year = datetime(2026, 1, 1, tzinfo=UTC)
    triples = [(rng.choice(staff_pks), rng.choice(gate_ids), year + timedelta(seconds=rng.randrange(365 * 86400)))
               for _ in range(args.decisions)]  # fmt: skip
    ways = {gate.id: GateWay.of(gate) for gate in db.session.scalars(sa.select(Gate))}
    before_q = sa.select(Staff).where(Staff.staff_id == sa.bindparam("code"))
    now_q = sa.select(Staff, revision_column()).where(Staff.staff_id == sa.bindparam("code"))
    times: dict[str, list[float]] = {name: [] for name in CHECKS}
    granted = 0
    for index, (staff_pk, gate_id, when) in enumerate(triples):
        # The lookup record_decision made before the rules, and the one it makes now (with the policy revision),
        # in alternating order; each decision in its own transaction, as each frame's task.
        pair = [("before", before_q), ("now", now_q)]
        revision = None
        for name, query in pair if index % 2 else pair[::-1]:
            spent, found = _timed(_lookup, query, codes[staff_pk])
            times[f"person lookup, {name}"].append(spent)
            revision = found[1] if name == "now" else revision
            db.session.rollback()
        spent, verdict = _timed(_rules, revision, staff_pk, gate_id, when)
        times["rules on the cached policy"].append(spent)
        times["added by the rules"].append(
            times["person lookup, now"][-1] - times["person lookup, before"][-1] + spent
        )
        granted += verdict.allowed
        if gate_id in area_gates:
            times["anti-passback (area gates)"].append(_timed(check_passback, staff_pk, ways[gate_id])[0])
            db.session.rollback()
        times["one round trip (SELECT 1)"].append(_timed(db.session.execute, sa.text("SELECT 1"))[0])
        db.session.rollback()
    times["policy reload"] = reloads
    rule_count = db.session.scalar(sa.select(sa.func.count()).select_from(AccessRule).where(
        AccessRule.is_clearance.is_(False)))  # fmt: skip
    return {
        "people": len(staff_pks), "gates": len(gate_ids), "rules": rule_count, "clearances": len(staff_pks),
        "groups": GROUPS, "schedules": SCHEDULES, "area_gates": len(area_gates), "decisions": len(triples),
        "granted_share": round(granted / len(triples), 3), "build_s": round(build_s, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "checks": {name: _summary(values) for name, values in times.items()},
    }  # fmt: skip


def print_table(result: dict) -> None:
    """The figures as a table."""
    print(f"{result['people']} people, {result['gates']} gates, {result['rules']} rules (+{result['clearances']} "
          f"personal clearances), {result['groups']} groups, {result['schedules']} schedules; "
          f"{result['decisions']} decisions, {result['granted_share']:.0%} granted; "
          f"load average {result['load_average']}")  # fmt: skip
    print("check                      |     n |  p50 ms |  p95 ms |  p99 ms |  max ms")
    for name, row in result["checks"].items():
        print(f"{name:26} | {row['n']:5} | {row['p50_ms']:7.3f} | {row['p95_ms']:7.3f} | {row['p99_ms']:7.3f} | "
              f"{row['max_ms']:7.2f}")  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.access", description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--gates", type=int, default=50)
    parser.add_argument("--rules", type=int, default=100, help="group and personal rules besides clearances")
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--reloads", type=int, default=20, help="timed policy reloads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database (unused data)")
    args = parser.parse_args(argv)
    if not (GROUPS <= args.people <= 100_000 and 5 <= args.gates <= 1000 and 5 <= args.rules <= 10_000):
        parser.error(f"need {GROUPS}-100,000 people, 5-1000 gates and 5-10,000 rules")
    if not (1 <= args.decisions <= 1_000_000 and 1 <= args.reloads <= 1000):
        parser.error("need 1-1,000,000 decisions and 1-1000 reloads")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table or JSON."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="facegate-access-") as tmp:
        env = scratch_environment(args.mysql_url, args.redis_url, Path(tmp))
        os.environ.update(env)
        try:
            flask_app = create_app({"TIMEZONE": ZONE})
            with flask_app.app_context():
                upgrade(directory=str(REPO_ROOT / "migrations"))
                result = measure(args)
                db.engine.dispose()
        finally:
            drop_scratch(args.mysql_url, env)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
