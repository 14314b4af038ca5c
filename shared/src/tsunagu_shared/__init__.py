"""Tsunagu's shared library: what every service needs and no service owns."""
