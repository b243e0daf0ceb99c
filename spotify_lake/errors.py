"""Errors the CLI turns into a one-line message and a non-zero exit instead of a traceback."""


class UserError(Exception):
    """Bad input from the person at the keyboard: an impossible option value, a missing file."""
