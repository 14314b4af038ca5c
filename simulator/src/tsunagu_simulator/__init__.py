"""Season simulator for the contact policy (issue #12)."""
