"""provinces: HTTP routes and schemas."""
