"""The analysis report: run every analysis a session allows and render the results.

:func:`build_report` (or :func:`analyze_file` for a file) returns one
:class:`Report`; :func:`write_report` writes its folder (report.json,
summary.txt, figures as PNG and SVG, report.html); :func:`cohort_table`
flattens the reports of a study into one table (:func:`write_cohort`
writes it as CSV and Parquet with its figure). The JSON layout is
versioned by :data:`SCHEMA_VERSION`, described in docs/report-schema.md and
checked by the JSON Schema at :data:`SCHEMA_FILE`.
"""

from .cohort import cohort_table, plot_cohort, write_cohort
from .model import SCHEMA_FILE, SCHEMA_VERSION, Report
from .output import (
    OutputClaim,
    OutputFolderExistsError,
    check_output_folder,
    claim_output_folder,
    folder_lock,
    read_report,
    write_report,
)
from .pipeline import DEFAULT_BANDS, analyze_file, build_report, parse_bands

__all__ = ["SCHEMA_VERSION", "SCHEMA_FILE", "Report", "DEFAULT_BANDS", "build_report", "analyze_file", "parse_bands",
           "write_report", "check_output_folder", "claim_output_folder", "OutputClaim", "OutputFolderExistsError",
           "folder_lock", "read_report", "cohort_table", "write_cohort", "plot_cohort"]
