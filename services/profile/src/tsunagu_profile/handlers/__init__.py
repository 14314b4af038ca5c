"""Orchestration of the profile service: load through a port, let the domain decide, store with events."""

from tsunagu_profile.handlers.profiles import ProfileBusy, ProfileHandlers, ProfileNotFound

__all__ = ["ProfileBusy", "ProfileHandlers", "ProfileNotFound"]
