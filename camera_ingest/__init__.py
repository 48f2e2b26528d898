"""camera_ingest: read every active gate's camera, sample frames, send them to the recognition workers."""
