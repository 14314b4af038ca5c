"""Journeys as pure rules: step sequences (welcome, reminders, after-care) defined as data, stored as
one document per (sequence, recipient, instance, step), fired through the contact policy."""
