"""Partner agencies: the registry."""
