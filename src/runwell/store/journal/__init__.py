"""Journals: one run's write calls in a local SQLite file, for offline logging and sync."""
