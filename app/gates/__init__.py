"""Live decisions at the gates: the per-gate sliding window, the in/out log and the per-gate event streams."""
