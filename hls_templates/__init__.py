"""Jinja2 templates of every target, one folder per target (package data)."""
