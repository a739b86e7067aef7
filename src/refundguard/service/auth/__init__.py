"""API keys bound to a tenant and a role; the request's principal."""
