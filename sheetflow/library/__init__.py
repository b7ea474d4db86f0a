"""The library a Python user calls: each run reads a closed workbook once, runs the domain, writes once (runs:
apply, refresh, change, report, new, restore), plus the status list, public holidays, sending the Outbox, the Notes
archive and adopting a studio's own workbook."""
