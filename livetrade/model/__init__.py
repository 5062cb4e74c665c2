"""The pure domain model: values, orders, positions, reports (no trio, no I/O)."""
