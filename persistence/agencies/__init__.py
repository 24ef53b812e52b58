"""Partner agencies: table and repository."""
