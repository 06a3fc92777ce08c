"""Progress exports: XLSX, CSV and xAPI files."""
