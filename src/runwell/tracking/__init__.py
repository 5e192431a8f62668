"""Tracking: the explicit-id client and the fluent API on top of it."""
