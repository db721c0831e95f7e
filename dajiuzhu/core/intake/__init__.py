"""The generic part of every file intake: read, map headers, refuse dangerous cells, report.

An importer (``registry.importing``, later the department deliveries) describes its columns
with ``Column``/``Template``, opens the file with ``open_table`` (CSV in UTF-8 or GBK/GB18030,
detected; XLSX streamed read-only), iterates ``table.rows()`` without reading the whole file
into memory, and writes the rows it refuses to an ``ErrorReport`` in the same layout plus a
reason column, so the report can be fixed and imported again. A file that cannot be read at
all raises ``FileRefused`` before anything is written.
"""

from .cells import cell_problem, cell_text
from .digest import file_digest
from .errors import FileRefused
from .readers import Table, open_table
from .report import ErrorReport
from .template import Column, HeaderMap, Template

__all__ = [
    "Column",
    "ErrorReport",
    "FileRefused",
    "HeaderMap",
    "Table",
    "Template",
    "cell_problem",
    "cell_text",
    "file_digest",
    "open_table",
]
