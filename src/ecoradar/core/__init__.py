"""Shared infrastructure: database, errors, clock, geometry helpers."""
