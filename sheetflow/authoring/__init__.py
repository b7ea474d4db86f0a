"""Authoring: the template workbook, the sample studio, and the VBA project of the macro-enabled workbook."""
