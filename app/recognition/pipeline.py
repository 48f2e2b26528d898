"""decode -> detect -> align -> quality -> embed -> liveness -> classify, for one photo or camera frame."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.recognition.align import align_face
from app.recognition.classify import FaceClassifier, FaceVerdict
from app.recognition.detect import Face, get_detector, most_central_face
from app.recognition.dlib_embed import get_dlib_embedder
from app.recognition.embed import embed_faces, get_embedder
from app.recognition.liveness import get_liveness_model
from app.recognition.quality import QualityLimits, quality_problem
from app.recognition.threads import single_threaded_blas, single_threaded_opencv

SECOND_EMBEDDERS = ("dlib", "none")

# Given the boxes (x, y, w, h) of a frame's faces, which of them need no identifying (e.g. already decided).
SkipFaces = Callable[[list[tuple[float, float, float, float]]], list[bool]]


@dataclass
class FaceResult:
    """One face found in an image: where it is, why it was rejected (if it was), its embeddings, its liveness (the
    probability it is a live person, not a photo; None when not scored) and the verdict; skipped: detected only,
    because the caller needed no more of it."""

    face: Face
    rejection: str | None = None
    embedding: np.ndarray | None = None
    second_embedding: np.ndarray | None = None
    verdict: FaceVerdict | None = None
    liveness: float | None = None
    skipped: bool = False


@dataclass
class Timings:
    """Milliseconds spent in each stage for one image."""

    detect: float = 0.0
    align: float = 0.0
    embed: float = 0.0
    liveness: float = 0.0
    classify: float = 0.0

    @property
    def total(self) -> float:
        """detect + align + embed + liveness + classify."""
        return self.detect + self.align + self.embed + self.liveness + self.classify


@dataclass
class Recognizer:
    """The configured backends; every method takes RGB arrays and returns plain results. liveness: whether identify
    scores each usable face's liveness."""

    detector: str = "opencv"
    embedder: str = "onnxruntime"
    second: str = "dlib"
    model_dir: str | None = None
    limits: QualityLimits = field(default_factory=QualityLimits)
    liveness: bool = True

    def __post_init__(self) -> None:
        if self.second not in SECOND_EMBEDDERS:
            raise ValueError(f"unknown second embedder {self.second!r}; choose one of {SECOND_EMBEDDERS}")
        single_threaded_blas()
        single_threaded_opencv()

    @property
    def embedding_name(self) -> str:
        """Names what the cached embeddings are (a different name means they must be recomputed)."""
        return "facenet-20180408" + ("+dlib-resnet-v1" if self.second == "dlib" else "")

    def check_faces(
        self, rgb: np.ndarray, central_only: bool = False, timings: Timings | None = None, skip: SkipFaces | None = None
    ) -> tuple[list[FaceResult], list[np.ndarray | None]]:
        """Detect, align and check every face (or only the most central one): the results (rejection set) and the
        aligned crops; faces that skip says need nothing more are only detected (marked skipped, no crop)."""
        timings = timings or Timings()
        start = time.perf_counter()
        faces = get_detector(self.detector, self.limits.min_face_px).detect(rgb)
        if central_only:
            central = most_central_face(faces, rgb.shape[1], rgb.shape[0])
            faces = [] if central is None else [central]
        timings.detect = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        skipped = skip([face.box for face in faces]) if skip and faces else [False] * len(faces)
        results = [FaceResult(face, skipped=flag) for face, flag in zip(faces, skipped, strict=True)]
        crops = [None if flag else align_face(rgb, face) for face, flag in zip(faces, skipped, strict=True)]
        for result, crop in zip(results, crops, strict=True):
            result.rejection = None if crop is None else quality_problem(result.face, crop, self.limits)
        timings.align = (time.perf_counter() - start) * 1000
        return results, crops

    def analyse(
        self, rgb: np.ndarray, central_only: bool = False, timings: Timings | None = None, skip: SkipFaces | None = None
    ) -> list[FaceResult]:
        """Detect, align, check and embed (in one batch) every face, or only the most central one; faces that skip
        says need nothing more are only detected."""
        timings = timings or Timings()
        results, crops = self.check_faces(rgb, central_only, timings, skip)
        start = time.perf_counter()
        good = [i for i, r in enumerate(results) if r.rejection is None and not r.skipped]
        if good:
            vectors = embed_faces(get_embedder(self.embedder, self.model_dir), np.stack([crops[i] for i in good]))
            for i, vector in zip(good, vectors, strict=True):
                results[i].embedding = vector
        timings.embed = (time.perf_counter() - start) * 1000
        return results

    def score_liveness(self, rgb: np.ndarray, results: list[FaceResult], timings: Timings | None = None) -> None:
        """Set the liveness of each face that passed the quality gate, in place."""
        start = time.perf_counter()
        usable = [r for r in results if r.rejection is None and not r.skipped]
        if usable:
            scores = get_liveness_model().scores(rgb, [r.face.box for r in usable])
            for result, score in zip(usable, scores, strict=True):
                result.liveness = float(score)
        if timings is not None:
            timings.liveness = (time.perf_counter() - start) * 1000

    def second_embeddings(self, rgb: np.ndarray, faces: list[Face]) -> np.ndarray | None:
        """The second embedder's vectors for these faces, or None when no second embedder is configured."""
        if self.second == "none":
            return None
        return get_dlib_embedder().embed(rgb, faces)

    def enrolment_vector(self, rgb: np.ndarray) -> tuple[np.ndarray, FaceResult | None]:
        """The cached-embedding vector (FaceNet, then the second embedder's) of the face a photo is about."""
        results = self.analyse(rgb, central_only=True)
        if not results or results[0].embedding is None:
            return np.zeros(0, np.float32), (results[0] if results else None)
        second = self.second_embeddings(rgb, [results[0].face])
        parts = [results[0].embedding] if second is None else [results[0].embedding, second[0]]
        return np.concatenate(parts).astype(np.float32), results[0]

    def identify(
        self, rgb: np.ndarray, model: FaceClassifier, central_only: bool = False, timings: Timings | None = None,
        skip: SkipFaces | None = None,
    ) -> list[FaceResult]:  # fmt: skip
        """Every face with its verdict (staff label or stranger) and, if the recognizer scores it, its liveness,
        except the faces skip says need none; the second embedder runs only if unsure (its vectors are kept on the
        results it ran for)."""
        timings = timings or Timings()
        results = self.analyse(rgb, central_only, timings, skip)
        if self.liveness:
            self.score_liveness(rgb, results, timings)
        start = time.perf_counter()
        usable = [r for r in results if r.embedding is not None]
        if usable:

            def second_opinion(indices: np.ndarray) -> np.ndarray | None:
                vectors = self.second_embeddings(rgb, [usable[i].face for i in indices])
                for i, vector in zip(indices, [] if vectors is None else vectors, strict=False):
                    usable[i].second_embedding = vector
                return vectors

            verdicts = model.decide(np.stack([r.embedding for r in usable]), second_opinion)
            for result, verdict in zip(usable, verdicts, strict=True):
                result.verdict = verdict
        timings.classify = (time.perf_counter() - start) * 1000
        return results
