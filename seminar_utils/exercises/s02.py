"""Checks of seminar 02 (filled in by its author; see the package docstring)."""
