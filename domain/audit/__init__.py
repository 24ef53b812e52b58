"""Audit feature (see README: Layout)."""
