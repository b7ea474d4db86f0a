"""sheetflow: the session-status workflow of a photo studio, kept in its own Excel workbook."""

__version__ = "0.1.0"
