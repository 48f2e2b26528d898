"""Preprocessing: detect, align and crop each new raw photo into processed/, caching its embedding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select

from app.enrolment.dataset import PROCESSED, person_dir, relative_to_root, resolve_stored, write_atomically
from app.extensions import db
from app.models import FaceImage, Staff
from app.models.types import utcnow
from app.recognition.align import align_face
from app.recognition.images import ImageError, read_image
from app.recognition.pipeline import Recognizer


def embed_face_image(image: FaceImage, data_root: Path, recognizer: Recognizer) -> np.ndarray | None:
    """Detect, check and embed the face a raw photo is about; record the outcome on image (not committed).

    Returns the aligned 160x160 crop, or None when the photo was rejected (image.rejection_reason says why).
    """
    image.processed_at = utcnow()
    try:
        rgb = read_image(resolve_stored(data_root, image.raw_path))
    except ImageError as exc:
        image.rejection_reason = str(exc)
        return None
    vector, result = recognizer.enrolment_vector(rgb)
    if result is None:
        image.rejection_reason = "no face"
        return None
    image.box = [round(float(v), 1) for v in result.face.box]
    if result.rejection is not None:
        image.rejection_reason = result.rejection
        return None
    image.rejection_reason = None
    image.set_embedding(vector, recognizer.embedding_name)
    return align_face(rgb, result.face)


def preprocess_staff(
    staff: Staff,
    data_root: Path,
    recognizer: Recognizer,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    redo: bool = False,
) -> tuple[int, int]:
    """Preprocess staff's unprocessed raw photos (all of them if redo); return (accepted, rejected) counts."""
    query = select(FaceImage).where(FaceImage.staff_id == staff.id).order_by(FaceImage.id)
    if not redo:
        query = query.where(FaceImage.processed_at.is_(None))
    images = list(db.session.scalars(query))
    out_dir = person_dir(data_root, PROCESSED, staff.folder)
    accepted = rejected = 0
    for done, image in enumerate(images, start=1):
        crop = embed_face_image(image, data_root, recognizer)
        if crop is None:
            rejected += 1
            image.processed_path = None
        else:
            accepted += 1
            target = out_dir / Path(image.raw_path).with_suffix(".jpg").name
            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
            if not ok:
                raise RuntimeError(f"could not encode the crop of {image.raw_path}")
            write_atomically(target, np.asarray(jpeg).tobytes())
            image.processed_path = relative_to_root(data_root, target)
        db.session.commit()  # one photo at a time: a killed job keeps what it finished
        on_progress(done, len(images))
    return accepted, rejected
