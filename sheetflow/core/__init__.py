"""The domain core: plain data in, plain data out. Imports neither openpyxl, calamine nor xlwings,
so the command line and the Excel buttons (xlwings Lite included) share it."""
