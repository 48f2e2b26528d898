"""Observability: metrics shared through Redis (read by /metrics), key=value log lines, the Prometheus exposition."""
