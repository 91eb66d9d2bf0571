"""The one error type that reaches the user: bad input, named by file and place."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: a malformed file, an unknown kind, an impossible value.

    The CLI prints ``str(error)`` on one line and exits with code 2.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    source : str, optional
        The file (path as the user gave it).
    place : str, optional
        Where in the file: a TOML key path (``networks[2].diameter``), a line, an element.
    """

    def __init__(self, message: str, source: str | None = None, place: str | None = None):
        self.message = message
        self.source = source
        self.place = place
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.source and self.place:
            where = f"{self.source}: {self.place}: "
        elif self.source:
            where = f"{self.source}: "
        elif self.place:
            where = f"{self.place}: "
        return f"{where}{self.message}"

    def naming(self, source: str) -> "InputError":
        """This error naming ``source`` where it names no file yet (a library call that knew none)."""
        return self if self.source else InputError(self.message, source=source, place=self.place)
