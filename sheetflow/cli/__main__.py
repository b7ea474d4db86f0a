"""`python -m sheetflow.cli`: the command line, as the `sheetflow` script runs it."""

from sheetflow.cli import main

main(prog_name="sheetflow")
