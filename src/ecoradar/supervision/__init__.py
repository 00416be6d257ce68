"""Supervisors (issue 16): deputies, CPPCC members, the media and discipline bodies raise
problems, follow them read-only and ask questions the bureau answers by a deadline."""
