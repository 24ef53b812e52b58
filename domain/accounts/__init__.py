"""Accounts feature (see README: Layout)."""
