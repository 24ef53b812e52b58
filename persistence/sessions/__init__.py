"""sessions: tables and repository (see README: Layout)."""
