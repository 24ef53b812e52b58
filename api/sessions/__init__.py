"""sessions: HTTP routes and schemas."""
