"""audit: HTTP routes and schemas."""
