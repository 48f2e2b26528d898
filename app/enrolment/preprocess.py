"""Preprocessing: detect, check and embed each new photo, caching its embedding on the FaceImage row.

Nothing else is kept: the aligned crop is not stored (docs/enrolment.md, "What preprocessing keeps"): training
embeds from the photo when a cached embedding is missing or stale, because the second embedder (dlib) needs the
photo around the face, not FaceNet's 160x160 crop.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy import select

from app.enrolment.photos import PhotoMissingError, photo_jpeg
from app.extensions import db
from app.models import FaceImage, Staff
from app.models.types import utcnow
from app.recognition.images import ImageError, decode_image
from app.recognition.pipeline import Recognizer


def embed_face_image(image: FaceImage, recognizer: Recognizer) -> bool:
    """Detect, check and embed the face a photo is about; record the outcome on image (not committed).

    True when the photo was accepted, False when it was rejected (image.rejection_reason says why).
    """
    image.processed_at = utcnow()
    try:
        rgb = decode_image(photo_jpeg(image))
    except (ImageError, PhotoMissingError) as exc:
        image.rejection_reason = str(exc)
        return False
    vector, result = recognizer.enrolment_vector(rgb)
    if result is None:
        image.rejection_reason = "no face"
        return False
    image.box = [round(float(v), 1) for v in result.face.box]
    if result.rejection is not None:
        image.rejection_reason = result.rejection
        return False
    image.rejection_reason = None
    image.set_embedding(np.asarray(vector), recognizer.embedding_name)
    return True


def preprocess_staff(
    staff: Staff,
    recognizer: Recognizer,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    redo: bool = False,
) -> tuple[int, int]:
    """Preprocess staff's unprocessed photos (all of them if redo); return (accepted, rejected) counts."""
    query = select(FaceImage).where(FaceImage.staff_id == staff.id).order_by(FaceImage.id)
    if not redo:
        query = query.where(FaceImage.processed_at.is_(None))
    images = list(db.session.scalars(query))
    accepted = 0
    for done, image in enumerate(images, start=1):
        accepted += embed_face_image(image, recognizer)
        db.session.commit()  # one photo at a time: a killed job keeps what it finished
        on_progress(done, len(images))
    return accepted, len(images) - accepted
