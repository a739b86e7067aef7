"""Signed webhooks with retries and a delivery log."""
