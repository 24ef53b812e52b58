"""volunteers: HTTP routes and schemas."""
