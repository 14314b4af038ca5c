"""Tsunagu scout service."""
