"""Ambient monitoring stations (air quality, surface water): registry, readings, rules, wind."""
