"""Adaptive Cards: jinja2 templates (every placeholder `| tojson`) and the builders that fill them."""
