"""The dashboard's inputs and tables, one module per page topic.

SQL here only loads inputs (names, stored rows, dated facts); every count comes from the read
model (``data.report.build_report``), and the tables built from the report alone live in
``data.export`` so the workbook and the pages share them. ``semesters`` is the one place for
the URL's ``?semester=`` and which semesters a user may see.
"""
