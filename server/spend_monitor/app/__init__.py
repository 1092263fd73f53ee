"""The use cases: each module one job, over the adapters."""
