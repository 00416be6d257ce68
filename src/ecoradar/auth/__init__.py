"""Accounts and access: users and roles, region scopes, browser sessions with CSRF protection,
API tokens, and the rate limit on logins.

``principal.Principal`` is "who is asking and what may they see"; ``web.deps`` resolves it from
a session cookie or a bearer token for every request.
"""
