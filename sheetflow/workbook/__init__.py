"""Workbook files: reading with calamine, and a patcher that rewrites only the cells sheetflow owns."""
