"""The access decision: may this person pass this gate now, and if not, why. Pure: it reads a policy snapshot
(app/access/policy.py loads it from the database) and the person's pass, and returns a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from app.access.schedules import ScheduleSpec, closed_reason

NOT_CLEARED = "not cleared for this gate"
PASS_EXPIRED = "pass expired"
PASS_NOT_YET_VALID = "pass not yet valid"


@dataclass(frozen=True)
class RuleSpec:
    """An access rule: its subject (a group or one person), its schedule and its gates."""

    id: int
    name: str
    schedule_id: int
    gate_ids: frozenset[int]
    group_id: int | None = None
    staff_pk: int | None = None


@dataclass(frozen=True)
class AccessPolicy:
    """Everything the decision needs, indexed for it: the rules of each gate, each person's groups, the schedules."""

    zone: ZoneInfo
    schedules: dict[int, ScheduleSpec] = field(default_factory=dict)
    rules_by_gate: dict[int, tuple[RuleSpec, ...]] = field(default_factory=dict)
    groups_of: dict[int, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, zone: ZoneInfo, schedules: list[ScheduleSpec], rules: list[RuleSpec], memberships: list[tuple[int, int]]
    ) -> AccessPolicy:
        """The policy of these schedules, rules and (staff pk, group id) memberships."""
        by_gate: dict[int, list[RuleSpec]] = {}
        for rule in sorted(rules, key=lambda r: r.id):
            for gate_id in rule.gate_ids:
                by_gate.setdefault(gate_id, []).append(rule)
        groups: dict[int, set[int]] = {}
        for staff_pk, group_id in memberships:
            groups.setdefault(staff_pk, set()).add(group_id)
        return cls(
            zone,
            {s.id: s for s in schedules},
            {gate: tuple(found) for gate, found in by_gate.items()},
            {staff: frozenset(ids) for staff, ids in groups.items()},
        )


@dataclass(frozen=True)
class PersonPass:
    """Who is at the gate: their row id and, for a visitor, when their pass is valid (aware UTC, None: open)."""

    staff_pk: int
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class AccessVerdict:
    """Allowed (by which rule) or denied (why, in words for the log, the live page and the gate's voice)."""

    allowed: bool
    reason: str | None = None
    rule: str | None = None


def check_access(policy: AccessPolicy, person: PersonPass, gate_id: int, when: datetime) -> AccessVerdict:
    """Whether person may pass gate_id at when (aware): the first rule of theirs for the gate whose schedule is
    open allows it; otherwise the pass's validity, no rule, or the first rule's closed schedule says why not."""
    if person.valid_from is not None and when < person.valid_from:
        return AccessVerdict(False, PASS_NOT_YET_VALID)
    if person.valid_until is not None and when >= person.valid_until:
        return AccessVerdict(False, PASS_EXPIRED)
    groups = policy.groups_of.get(person.staff_pk, frozenset())
    first_reason = None
    for rule in policy.rules_by_gate.get(gate_id, ()):
        if rule.staff_pk != person.staff_pk and rule.group_id not in groups:
            continue
        reason = closed_reason(policy.schedules[rule.schedule_id], when, policy.zone, policy.schedules)
        if reason is None:
            return AccessVerdict(True, None, rule.name)
        first_reason = first_reason or reason
    return AccessVerdict(False, first_reason or NOT_CLEARED)
