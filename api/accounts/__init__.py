"""accounts: HTTP routes and schemas."""
