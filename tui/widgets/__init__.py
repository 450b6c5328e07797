"""Widgets of the rafix app."""
