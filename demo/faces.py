"""The demo's face photos: find the folder, pick three people to enrol and strangers, or offer to download LFW."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_FACES = REPO_ROOT.parent / "shared" / "faces"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
PEOPLE = 3
ENROL_MAX = 10  # photos enrolled per person; the rest are shown to the cameras
HELD_OUT_MIN = 2  # photos per person kept back for the two gates' videos
STRANGER_CANDIDATES = 10  # people never enrolled, to choose the gates' strangers from
LFW_DOWNLOAD_MB = 230

LAYOUT_HELP = """\
The demo enrols three people from a folder of face photos, one sub-folder of photos per person:

    faces/
      Ada_Lovelace/      1.jpg 2.jpg ...   (at least {min_photos} photos each for the three people enrolled)
      Alan_Turing/       ...
      Grace_Hopper/      ...
      Someone_Else/      ...               (any further folder is a stranger at the gates)

(or faces/people/<person>/ and faces/strangers/<person>/, like ../shared/faces). The three people with the most
photos are enrolled; any other person is a stranger. Point the demo at the folder with
    FACEGATE_FACES_DIR=/path/to/faces make demo
or, on a machine with internet access, let scikit-learn download Labeled Faces in the Wild (about {mb} MB):
    make demo DEMO_ARGS=--download-lfw"""


class FacesError(RuntimeError):
    """No usable folder of face photos; the message says what to do."""


@dataclass(frozen=True)
class Person:
    """One person in the photo folder: a name from the folder name and the photos, in name order."""

    name: str
    photos: list[Path]

    @property
    def first_name(self) -> str:
        """The first word of the name ('Ada' for 'Ada_Lovelace')."""
        return self.name.replace("_", " ").split()[0]

    @property
    def last_name(self) -> str:
        """The rest of the name, or the first name again for a one-word name."""
        words = self.name.replace("_", " ").split()
        return " ".join(words[1:]) or words[0]

    @property
    def enrolment_photos(self) -> list[Path]:
        """The photos the demo enrols: the first ones, leaving HELD_OUT_MIN or more for the cameras."""
        return self.photos[: min(ENROL_MAX, len(self.photos) - HELD_OUT_MIN)]

    @property
    def camera_photos(self) -> list[Path]:
        """The photos never enrolled, which the gates' cameras show."""
        return self.photos[len(self.enrolment_photos) :]


@dataclass(frozen=True)
class DemoFaces:
    """The three people the demo enrols and the strangers who may walk past its gates."""

    folder: Path
    people: list[Person]
    strangers: list[Person]


def min_photos() -> int:
    """Photos a person needs to be enrolled: a few to learn from plus those held out for the cameras."""
    return 3 + HELD_OUT_MIN


def _people_in(folder: Path) -> list[Person]:
    people = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        photos = sorted(p for p in sub.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        if photos:
            people.append(Person(sub.name, photos))
    return people


def _by_photo_count(people: list[Person]) -> list[Person]:
    return sorted(people, key=lambda person: (-len(person.photos), person.name))


def choose_faces(folder: Path) -> DemoFaces:
    """The three people with the most photos in folder and some strangers; FacesError if folder cannot serve."""
    if not folder.is_dir():
        raise FacesError(f"{folder} is not a folder.\n\n" + layout_help())
    if (folder / "people").is_dir():
        candidates = _by_photo_count(_people_in(folder / "people"))
        people = candidates[:PEOPLE]
        others = _people_in(folder / "strangers") if (folder / "strangers").is_dir() else candidates[PEOPLE:]
    else:
        candidates = _by_photo_count(_people_in(folder))
        people, others = candidates[:PEOPLE], candidates[PEOPLE:]
    enrollable = [person for person in people if len(person.photos) >= min_photos()]
    if len(enrollable) < PEOPLE or not others:
        found = ", ".join(f"{p.name} ({len(p.photos)})" for p in candidates[: PEOPLE + 1]) or "no photo folders"
        raise FacesError(
            f"{folder} does not hold three people with at least {min_photos()} photos each and one more person "
            f"(found: {found}).\n\n" + layout_help()
        )
    return DemoFaces(folder, people, sorted(others, key=lambda person: person.name)[:STRANGER_CANDIDATES])


def layout_help() -> str:
    """How to lay out a faces folder and point the demo at it (or download LFW)."""
    return LAYOUT_HELP.format(min_photos=min_photos(), mb=LFW_DOWNLOAD_MB)


def lfw_folder() -> Path:
    """Where scikit-learn keeps the LFW photos it downloads (one sub-folder per person)."""
    from sklearn.datasets import get_data_home

    return Path(get_data_home()) / "lfw_home" / "lfw_funneled"


def download_lfw() -> Path:
    """Download Labeled Faces in the Wild with scikit-learn's fetch_lfw_people; the folder of its photos."""
    from sklearn.datasets import fetch_lfw_people

    print(f"demo: downloading Labeled Faces in the Wild with scikit-learn (about {LFW_DOWNLOAD_MB} MB)...", flush=True)
    # Only the files are needed; a small resize keeps the arrays scikit-learn builds from them small.
    try:
        fetch_lfw_people(min_faces_per_person=20, resize=0.1)
    except OSError as exc:  # no network, a proxy, a full disk: URLError and friends are OSErrors
        raise FacesError(f"downloading LFW failed: {exc}\n\n" + layout_help()) from exc
    folder = lfw_folder()
    if not folder.is_dir():
        raise FacesError(f"scikit-learn downloaded LFW but its photos are not in {folder}")
    return folder


def _ask(question: str) -> bool:
    try:
        return input(f"{question} [y/N] ").strip().lower() in {"y", "yes"}
    except EOFError:
        return False


def find_faces_folder(given: Path | None, download: bool, interactive: bool) -> Path:
    """The folder to enrol from: given (e.g. FACEGATE_FACES_DIR), ../shared/faces, an earlier LFW download, or a new
    download (with download, or when interactive and the user agrees); FacesError with instructions otherwise."""
    if given is not None:
        return given
    for candidate in (SHARED_FACES, lfw_folder()):
        if candidate.is_dir():
            return candidate
    question = f"No face photos found. Download Labeled Faces in the Wild (about {LFW_DOWNLOAD_MB} MB) now?"
    if download or (interactive and _ask(question)):
        return download_lfw()
    raise FacesError(f"No face photos found (looked at {SHARED_FACES} and {lfw_folder()}).\n\n" + layout_help())


def faces_dir_from_env() -> Path | None:
    """FACEGATE_FACES_DIR as a path, or None when unset."""
    value = os.environ.get("FACEGATE_FACES_DIR", "").strip()
    return Path(value).expanduser() if value else None
