"""The bytes every host needs, in the database the hosts share: enrolment photos, avatars and model versions.

Each kind has its own table beside the row it belongs to, so listing photos, people or model versions never reads
the bytes; a row's bytes go with it (ON DELETE CASCADE, and explicitly where SQLite does not enforce it).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# Up to 16 MiB per value on MariaDB (a plain BLOB holds 64 KiB); SQLite's BLOB has no such limit.
Bytes = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")
# A model version is stored in chunks of this many bytes (well under MariaDB's default 16 MiB packet).
MODEL_CHUNK_BYTES = 1 << 20


class PhotoBlob(db.Model):
    """The JPEG of one enrolment photo (FaceImage)."""

    __tablename__ = "photo_blobs"

    face_image_id: Mapped[int] = mapped_column(ForeignKey("face_images.id", ondelete="CASCADE"), primary_key=True)
    jpeg: Mapped[bytes] = mapped_column(Bytes)


class AvatarBlob(db.Model):
    """The JPEG of one person's avatar."""

    __tablename__ = "avatar_blobs"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    jpeg: Mapped[bytes] = mapped_column(Bytes)


class ModelChunk(db.Model):
    """One chunk (in order: seq) of a published model version's file (an .npz)."""

    __tablename__ = "model_chunks"

    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(Bytes)
