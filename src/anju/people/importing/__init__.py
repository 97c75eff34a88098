"""Excel (xlsx) import of residents: a template, a dry run, an all-or-nothing commit.

The same code serves the page (run by a job, progress in the batch row), the
CLI (``anju import residents FILE.xlsx``, progress bar on stderr) and the
tests. A dry run reads and checks every row and writes nothing; a commit checks
again (the database may have changed) and writes everything in one
transaction, or nothing. Every problem names its row (as Excel numbers it),
its column (the header as written in the file) and the reason.

One module per step, each using the ones before it:

- ``columns``: the sheet's columns, the limits, and what the steps hand each other (``Problem``, ``Row``,
  ``Plan``, ``ImportRejected``, ``Progress``);
- ``parse``: the file as a whole (``check_file``) and its rows as raw values (``read_rows``);
- ``validate``: each row checked and cleaned, then against the registry (``check_rows``, ``dry_run``);
- ``write``: everything written in one transaction (``commit``);
- ``template``: the blank template and the export workbook (``build_template``, ``rows_to_xlsx``).
"""
