"""The background cohort: embeddings of faces that will never be enrolled, scored as strangers would be.

The project ships one (`data/cohort-lfw.npz`: FaceNet + dlib embeddings of 1,000 LFW photos of 1,000 people who
appear nowhere in the evaluation photos; provenance in `data/README.md`, never the photos). A site can build its own
from a folder (`flask faces build-cohort`), and the strangers its gates have seen join it at training time.
Files are plain npz (no pickle) with a JSON meta block saying what made them.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.recognition.embed import split_vector
from app.recognition.images import ImageError, read_image

if TYPE_CHECKING:
    from app.recognition.pipeline import Recognizer

SHIPPED_COHORT = Path(__file__).resolve().parent / "data" / "cohort-lfw.npz"
# Groups of the faces a site's gates decided were strangers start with this (the rest came from a cohort file).
SITE_GROUP_PREFIX = "site:"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


class CohortError(ValueError):
    """A cohort file that cannot be used with this pipeline (missing, unreadable, other embedder)."""


@dataclass(frozen=True)
class Cohort:
    """Faces nobody enrolled: FaceNet vectors, second-embedder vectors (or None) and a group per face.

    Faces of one group (one person, one track) are left out together when one of them is scored as a stranger.
    """

    facenet: np.ndarray
    second: np.ndarray | None
    groups: np.ndarray

    def __len__(self) -> int:
        return len(self.facenet)

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, groups: Iterable[str]) -> Cohort:
        """A cohort from enrolment-layout vectors (FaceNet, then the second embedder's part if any)."""
        facenet, second = split_vector(np.asarray(vectors, dtype=np.float32))
        second = None if second is None else np.ascontiguousarray(second)
        return cls(np.ascontiguousarray(facenet), second, np.array(list(groups), dtype=str))

    def vectors(self) -> np.ndarray:
        """The faces as enrolment-layout vectors."""
        return self.facenet if self.second is None else np.hstack([self.facenet, self.second])

    def join(self, other: Cohort) -> Cohort:
        """Both cohorts' faces (a second embedder only when both have it)."""
        second = None if self.second is None or other.second is None else np.vstack([self.second, other.second])
        return Cohort(
            np.vstack([self.facenet, other.facenet]), second, np.concatenate([self.groups, other.groups]).astype(str)
        )

    def without_second(self) -> Cohort:
        """The same faces with FaceNet vectors only."""
        return Cohort(self.facenet, None, self.groups)


def save_cohort(path: Path, cohort: Cohort, meta: dict) -> None:
    """Write a cohort file: vectors, groups and meta (what made it: embedder, source, counts)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({**meta, "faces": len(cohort)}).encode()
    with open(path, "wb") as handle:
        np.savez_compressed(
            handle, vectors=cohort.vectors(), groups=cohort.groups, meta=np.frombuffer(payload, dtype=np.uint8)
        )


def load_cohort(path: Path, embedding_name: str) -> tuple[Cohort, dict]:
    """A cohort file made with the embedder embedding_name (a `+second` part is dropped when not wanted)."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            vectors, groups = data["vectors"], data["groups"]
            meta = json.loads(data["meta"].tobytes().decode())
    except (OSError, KeyError, ValueError) as exc:
        raise CohortError(f"cannot read the cohort file {path}: {exc}") from exc
    made_with = str(meta.get("embedding", ""))
    if made_with == embedding_name:
        return Cohort.from_vectors(vectors, groups), meta
    if made_with.split("+")[0] == embedding_name:
        return Cohort.from_vectors(vectors, groups).without_second(), meta
    raise CohortError(
        f"the cohort file {path} holds {made_with or 'unknown'} embeddings, this pipeline needs {embedding_name}; "
        "rebuild it with `flask faces build-cohort`"
    )


@functools.cache
def cached_cohort(path: str, embedding_name: str) -> Cohort:
    """load_cohort, read once per process."""
    return load_cohort(Path(path), embedding_name)[0]


def cohort_images(folder: Path) -> list[Path]:
    """Every image under folder, recursively (following linked folders), in sorted order."""
    return sorted(
        Path(root) / name
        for root, _dirs, files in os.walk(folder, followlinks=True)
        for name in files
        if Path(name).suffix.lower() in IMAGE_SUFFIXES
    )


def build_cohort(
    recognizer: Recognizer, folder: Path, on_progress: Callable[[int, int], None] = lambda done, total: None
) -> tuple[Cohort, dict]:
    """Embed the most central face of every image under folder; a face's group is its sub-folder (its person).

    Returns the cohort and counts (images, faces, no_face, errors).
    """
    folder = Path(folder)
    files = cohort_images(folder)
    vectors, groups, errors, no_face = [], [], [], 0
    for done, path in enumerate(files, start=1):
        try:
            vector, _ = recognizer.enrolment_vector(read_image(path))
        except ImageError as exc:
            errors.append(f"{path}: {exc}")
            continue
        if len(vector) == 0:
            no_face += 1
        else:
            vectors.append(vector)
            groups.append(str(path.parent.relative_to(folder)))
        on_progress(done, len(files))
    if not vectors:
        raise CohortError(f"no usable face in the {len(files)} images under {folder}")
    cohort = Cohort.from_vectors(np.stack(vectors), groups)
    return cohort, {"images": len(files), "faces": len(vectors), "no_face": no_face, "errors": errors}
