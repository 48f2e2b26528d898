"""What the demo sets up: two gates, three people with their staff IDs and clearances, and each gate's scene."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from demo.casting import Cast
from demo.faces import DemoFaces, Person
from testkit.scenes import Pass, write_scene

ADMIN = "admin"
GATES = ("Front door", "Back door")
STAFF_IDS = ("S001", "S002", "S003")
# Who may pass where: the first person everywhere, the second only at the back, the third only at the front, so
# that each gate sees one person it grants, one it denies and a stranger.
CLEARANCES = {"S001": GATES, "S002": ("Back door",), "S003": ("Front door",)}
# The second person is also in the cleaning crew, whose rule opens the front door only during the cleaning rota: an
# hour on a day three days ahead (set at each start), so the front door denies them "outside schedule Cleaning rota".
CLEANING_GROUP, CLEANING_SCHEDULE, CLEANING_GATE = "Cleaning crew", "Cleaning rota", "Front door"
CLEANING_CREW = ("S002",)
SHOW_S = 6.0  # seconds a face stays in view: time enough for 5 agreeing frames on a busy 2-core machine
GAP_S = 3.0  # seconds of nobody between two faces (longer than FACEGATE_TRACK_GAP_S: a new walk)
VIDEO_FPS = 10.0


@dataclass(frozen=True)
class DemoGate:
    """One demo gate: its name, its generated camera video and who walks past in it."""

    name: str
    video: Path
    passes: list[Pass]


def demo_people(faces: DemoFaces) -> dict[str, Person]:
    """The three people to enrol, by the staff ID the demo gives them."""
    return dict(zip(STAFF_IDS, faces.people, strict=True))


def gate_slug(name: str) -> str:
    """A file-name form of a gate name ('front-door')."""
    return name.lower().replace(" ", "-")


def gate_video(video_dir: Path, name: str) -> Path:
    """Where the gate's generated camera video lives (the gate's camera source)."""
    return video_dir / f"{gate_slug(name)}.avi"


def plan_gates(cast: Cast, video_dir: Path) -> list[DemoGate]:
    """Write each gate's looping camera video: the three people and a stranger walk past, one at a time.

    The back door sees them one place later in the order than the front door (nobody is at both doors at once, so the
    first person comes in at the front and leaves at the back), and each gate shows its own photos and stranger.
    """
    video_dir.mkdir(parents=True, exist_ok=True)
    order: list[str | None] = [*cast.people, None]
    gates = []
    for index, name in enumerate(GATES):
        passes = []
        for slot, staff_id in enumerate(_rotate(order, index)):
            photo = cast.people[staff_id][index] if staff_id else cast.strangers[index]
            start = GAP_S + slot * (SHOW_S + GAP_S)
            passes.append(Pass(staff_id, photo, start, start + SHOW_S))
        video = write_scene(gate_video(video_dir, name), passes, passes[-1].end_s + GAP_S, VIDEO_FPS)
        gates.append(DemoGate(name, video, passes))
    return gates


def _rotate(items: list, by: int) -> list:
    by %= len(items)
    return items[by:] + items[:by]


def expected_outcome(staff_id: str | None, gate_name: str) -> str:
    """What the gate should decide for a pass by staff_id (None: a stranger): granted, denied (and why) or
    stranger."""
    if staff_id is None:
        return "stranger"
    if gate_name in CLEARANCES[staff_id]:
        return "granted"
    if staff_id in CLEANING_CREW and gate_name == CLEANING_GATE:
        return f"denied (outside schedule {CLEANING_SCHEDULE})"
    return "denied (not cleared for this gate)"
