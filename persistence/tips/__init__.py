"""tips: tables and repository (see README: Layout)."""
