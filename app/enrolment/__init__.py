"""Enrolment: getting a person's photos in (capture, upload, import), preprocessing them and training."""
