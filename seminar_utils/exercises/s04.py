"""Checks of seminar 04 (filled in by its author; see the package docstring)."""
