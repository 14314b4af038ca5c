"""Tsunagu notify service."""
