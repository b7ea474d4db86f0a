"""`python -m sheetflow`: the same command line as `sheetflow`, for a machine where the script's folder is not on
PATH (a user install on Windows, a virtual environment not activated)."""

from sheetflow.cli import main

main(prog_name="sheetflow")
