"""tips: HTTP routes and schemas."""
