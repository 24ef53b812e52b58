"""API clients: table and repository."""
