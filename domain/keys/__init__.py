"""Keys feature: re-sealing and re-hashing after a key rotation (see docs/reliability.md)."""
