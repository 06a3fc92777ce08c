"""Self-audit checklists and /audit of a web page, with findings that point to lessons and ideas."""
