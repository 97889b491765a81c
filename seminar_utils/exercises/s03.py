"""Checks of seminar 03 (filled in by its author; see the package docstring)."""
