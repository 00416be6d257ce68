"""The web app: JSON API, pages (Jinja2 + htmx), static assets served locally."""
