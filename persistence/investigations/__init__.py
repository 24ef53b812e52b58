"""Investigations: tables and repository."""
