"""Operator and demo tooling for Tsunagu."""
