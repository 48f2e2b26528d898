"""The Pi's camera as a source of JPEG frames: picamera2 when it is installed, else an OpenCV device or video file."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


class CameraError(RuntimeError):
    """The camera cannot be opened or has stopped giving frames."""


class OpenCVCamera:
    """Frames from an OpenCV VideoCapture: a device index ("0") or a video file (restarted at its end if loop)."""

    def __init__(self, source: str, width: int | None = None, height: int | None = None, loop: bool = False) -> None:
        import cv2

        self._cv2 = cv2
        self.source = source
        self.loop = loop
        target = int(source) if source.isdigit() else source
        if isinstance(target, str) and not Path(target).is_file():
            raise CameraError(f"camera source {source!r}: no such device index or video file")
        self._capture = cv2.VideoCapture(target)
        if not self._capture.isOpened():
            raise CameraError(f"camera source {source!r} could not be opened")
        if width and height:
            self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def read_jpeg(self, quality: int) -> bytes:
        """The next frame as JPEG bytes; CameraError when the source has ended or failed."""
        ok, frame = self._capture.read()
        if not ok and self.loop:
            self._capture.set(self._cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraError(f"camera source {self.source!r} gave no frame")
        encoded, data = self._cv2.imencode(".jpg", frame, [self._cv2.IMWRITE_JPEG_QUALITY, quality])
        if not encoded:
            raise CameraError("JPEG encoding failed")
        return data.tobytes()

    def close(self) -> None:
        """Release the device or file."""
        self._capture.release()


class Picamera2Camera:
    """Frames from the Raspberry Pi camera module through picamera2."""

    def __init__(self, width: int | None = None, height: int | None = None) -> None:
        import cv2
        from picamera2 import Picamera2

        self._cv2 = cv2
        self._camera = Picamera2()
        size = (width or 640, height or 480)
        # picamera2's "RGB888" is laid out B, G, R in memory: what OpenCV expects.
        self._camera.configure(self._camera.create_video_configuration(main={"size": size, "format": "RGB888"}))
        self._camera.start()

    def read_jpeg(self, quality: int) -> bytes:
        """The next frame as JPEG bytes."""
        frame = self._camera.capture_array()
        encoded, data = self._cv2.imencode(".jpg", frame, [self._cv2.IMWRITE_JPEG_QUALITY, quality])
        if not encoded:
            raise CameraError("JPEG encoding failed")
        return data.tobytes()

    def close(self) -> None:
        """Stop the camera."""
        self._camera.stop()
        self._camera.close()


def open_camera(
    source: str, width: int | None = None, height: int | None = None, loop: bool = False
) -> OpenCVCamera | Picamera2Camera:
    """The camera for source: "picamera2", "auto" (picamera2 if installed, else device 0), a device index or a file."""
    if source in ("auto", "picamera2"):
        try:
            return Picamera2Camera(width, height)
        except ImportError as exc:
            if source == "picamera2":
                raise CameraError(f"picamera2 is not installed: {exc}") from exc
            log.info("picamera2 is not installed: using OpenCV device 0")
            source = "0"
        except Exception as exc:
            raise CameraError(f"the Pi camera could not be started: {type(exc).__name__}: {exc}") from exc
    return OpenCVCamera(source, width, height, loop)
