"""provinces: tables and repository (see README: Layout)."""
