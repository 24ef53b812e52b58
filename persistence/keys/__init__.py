"""keys: the maintenance repository (see README: Layout)."""
