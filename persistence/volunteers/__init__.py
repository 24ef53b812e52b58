"""volunteers: tables and repository (see README: Layout)."""
