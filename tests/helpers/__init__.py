"""What the tests share: workbooks built in a line (workbooks), xlwings payloads (payloads), PDF text (pdftext)."""
