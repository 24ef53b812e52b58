"""Provinces feature (see README: Layout)."""
