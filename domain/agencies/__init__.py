"""Partner agencies: the registry of the agencies cases are referred to (NACC, PACC, ...)."""
