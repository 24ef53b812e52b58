"""API clients of partner systems: registration, rotation, revocation (admins)."""
