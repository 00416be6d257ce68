"""Enterprises, outlets, monitoring points, factor limits and the standards library."""
