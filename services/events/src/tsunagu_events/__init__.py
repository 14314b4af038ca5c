"""Tsunagu events service."""
