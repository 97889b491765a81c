"""Checks of seminar 05 (filled in by its author; see the package docstring)."""
