"""Presentation: the chart theme, captions, tables, downloads, escaping and a notebook's context."""
