"""audit: tables and repository (see README: Layout)."""
