"""The whole system on one machine: `python -m demo` (`make demo`)."""
