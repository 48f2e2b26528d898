"""Bad input never crashes decoding: a clear error per file, or a correct RGB image."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from app.recognition.images import ImageError, decode_image, read_image


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 30000) -> bytes:
    """A tiny file whose header claims side x side pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * side
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(row * 4))
        + _png_chunk(b"IEND", b"")
    )


def test_zero_byte_file_is_refused() -> None:
    with pytest.raises(ImageError, match="empty"):
        decode_image(b"")


def test_non_image_is_refused() -> None:
    with pytest.raises(ImageError, match="not an image"):
        decode_image(b"%PDF-1.4 this is not a photo\n" * 20)


def test_truncated_jpeg_is_refused(portrait: np.ndarray) -> None:
    buffer = io.BytesIO()
    Image.fromarray(portrait).save(buffer, format="JPEG")
    with pytest.raises(ImageError, match="corrupt or truncated"):
        decode_image(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def test_decompression_bomb_is_refused_from_its_header() -> None:
    data = bomb_png()
    assert len(data) < 10_000
    with pytest.raises(ImageError, match="too large"):
        decode_image(data)


def test_greyscale_becomes_rgb(portrait: np.ndarray) -> None:
    grey = Image.fromarray(portrait).convert("L")
    rgb = decode_image(_png_bytes(grey))
    assert rgb.shape == (*portrait.shape[:2], 3) and rgb.dtype == np.uint8
    assert np.array_equal(rgb[..., 0], np.asarray(grey)) and np.array_equal(rgb[..., 0], rgb[..., 2])


def test_alpha_channel_is_composited_on_white(portrait: np.ndarray) -> None:
    rgba = np.dstack([portrait, np.full(portrait.shape[:2], 255, np.uint8)])
    rgba[:10, :10, 3] = 0
    rgb = decode_image(_png_bytes(Image.fromarray(rgba, "RGBA")))
    assert rgb.shape == portrait.shape
    assert (rgb[:10, :10] == 255).all()
    assert np.array_equal(rgb[20:, 20:], portrait[20:, 20:])


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ImageError, match="cannot read"):
        read_image(tmp_path / "nope.jpg")
