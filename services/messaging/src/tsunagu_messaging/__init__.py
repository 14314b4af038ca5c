"""Tsunagu messaging service."""
