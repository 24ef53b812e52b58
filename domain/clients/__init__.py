"""API clients: partner agencies' systems, signing in with OAuth2 client credentials."""
