"""Screens of the rafix app."""
