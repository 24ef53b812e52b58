"""Sessions feature (see README: Layout)."""
