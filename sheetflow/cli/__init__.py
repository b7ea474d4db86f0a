"""The command line (click): one thin command per library call; `main` is the `sheetflow` console script."""

from .main import main

__all__ = ["main"]
