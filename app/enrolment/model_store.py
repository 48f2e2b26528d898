"""The model store in the shared database: each published version a ModelVersion row (version, checksum, when, by
which job) and its bytes in ModelChunk rows; every process's live classifier follows the newest version.

Any host publishes, any host reads: a recognize worker or the web app on another machine switches to a new version
within MODEL_CHECK_S seconds of its publication (docs/live.md measures it), without a restart.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping

from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import ModelChunk, ModelVersion
from app.models.stored import MODEL_CHUNK_BYTES
from app.recognition.classify import FaceClassifier, classifier_from_arrays
from app.recognition.store import ModelWatcher, decode_model, model_checksum


def publish_model(data: bytes, **fields) -> ModelVersion:
    """Store data as the next model version, with fields on its ModelVersion row (committed); the row.

    The row and its chunks are one transaction: readers see the whole version or none of it.
    """
    newest = db.session.scalar(select(func.max(ModelVersion.version))) or 0
    row = ModelVersion(version=newest + 1, **fields)
    db.session.add(row)
    store_model_bytes(row, data)
    db.session.commit()
    return row


def store_model_bytes(row: ModelVersion, data: bytes) -> None:
    """Store data as row's bytes, in chunks, with its checksum and size (not committed)."""
    row.checksum, row.size = model_checksum(data), len(data)
    db.session.flush()
    for seq, start in enumerate(range(0, len(data), MODEL_CHUNK_BYTES)):
        db.session.add(ModelChunk(model_version_id=row.id, seq=seq, data=data[start : start + MODEL_CHUNK_BYTES]))
        db.session.flush()  # one chunk at a time on its way to the database


def newest_version() -> int | None:
    """The newest published model version, or None before the first training (a version recorded by an older
    release whose file `flask storage move-to-db` has not moved yet has size 0 and is passed over)."""
    return db.session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.size > 0))


def newest_published() -> tuple[int, str] | None:
    """The newest published version and its checksum, or None (one query: every process asks about once a second)."""
    row = db.session.execute(
        select(ModelVersion.version, ModelVersion.checksum)
        .where(ModelVersion.size > 0)
        .order_by(ModelVersion.version.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.version, row.checksum)


def model_chunks(version: int) -> Iterator[bytes]:
    """The bytes of one stored version, chunk by chunk (LookupError for a version not stored)."""
    row_id = db.session.scalar(select(ModelVersion.id).where(ModelVersion.version == version))
    if row_id is None:
        raise LookupError(f"model version {version} is not in the store")
    query = select(ModelChunk.data).where(ModelChunk.model_version_id == row_id).order_by(ModelChunk.seq)
    yield from db.session.scalars(query.execution_options(yield_per=1))


def load_version(version: int) -> tuple[dict, dict]:
    """The arrays and meta of one stored version, checked against its recorded checksum."""
    checksum = db.session.scalar(select(ModelVersion.checksum).where(ModelVersion.version == version))
    return decode_model(b"".join(model_chunks(version)), checksum)


def load_classifier(version: int) -> FaceClassifier:
    """The classifier stored as `version`."""
    return classifier_from_arrays(*load_version(version))


def delete_old_versions(keep: int) -> list[int]:
    """Delete all but the newest `keep` versions with their bytes (committed); the versions deleted."""
    versions = list(db.session.scalars(select(ModelVersion.version).order_by(ModelVersion.version)))
    gone = versions[:-keep] if keep else versions
    if gone:
        ids = select(ModelVersion.id).where(ModelVersion.version.in_(gone))
        db.session.execute(delete(ModelChunk).where(ModelChunk.model_version_id.in_(ids)))
        db.session.execute(delete(ModelVersion).where(ModelVersion.version.in_(gone)))
        db.session.commit()
    return gone


@functools.cache
def model_watcher(check_every_s: float) -> ModelWatcher:
    """This process's watcher of the shared model store (it must be used inside an app context)."""
    return ModelWatcher(newest_published, load_version, classifier_from_arrays, check_every_s)


def live_classifier(config: Mapping) -> FaceClassifier | None:
    """The newest published classifier, or None before the first training."""
    return model_watcher(config["MODEL_CHECK_S"]).current()
