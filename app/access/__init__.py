"""Access control: schedules, access rules, anti-passback and visitors' passes (docs/access.md)."""
