"""health: HTTP routes and schemas."""
