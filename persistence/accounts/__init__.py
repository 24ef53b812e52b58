"""accounts: tables and repository (see README: Layout)."""
