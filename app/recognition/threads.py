"""One BLAS thread and one OpenCV thread per process: the recognition core's matrix products are small, and its
workers run one per core.

OpenBLAS (numpy's, and the one dlib is built against) starts a thread per core for every product. On a machine
whose cores are all busy (a worker per core, which is how facegate scales) those threads wait for each other: a
1 x 512 by 512 x 1000 product measured 6-8 ms with two threads and 0.05 ms with one (docs/recognition.md).
"""

from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits


def limit_blas_threads() -> None:
    """Limit every BLAS library loaded in this process so far to one thread (call again after loading another)."""
    threadpool_limits(limits=1, user_api="blas")


@functools.cache
def single_threaded_blas() -> None:
    """limit_blas_threads, once per process (for the libraries loaded at the first call)."""
    limit_blas_threads()


@functools.cache
def single_threaded_opencv() -> None:
    """One OpenCV thread (MTCNN's and FaceNet's DNN layers) per process: with a worker per core, a second thread only
    waits for a core that is busy (docs/capacity.md)."""
    import cv2

    cv2.setNumThreads(1)
