"""Integrations with other systems: an MQTT publisher (with Home Assistant discovery) and signed webhooks, both
following the per-gate event streams with cursors of their own, like a gate client (docs/integrations.md)."""
