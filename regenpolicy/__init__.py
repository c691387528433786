"""The regenerative-medicine pricing policy report, as a program.

Four layers, imports running one way (builder → presentation → models → data):

- ``regenpolicy.data``: table declarations, validation, vintages, the validated snapshot;
- ``regenpolicy.models``: the domain models and each figure's computation, with typed parameters;
- ``regenpolicy.presentation``: the chart theme, captions, tables, escaping, a notebook's context;
- ``regenpolicy.builder``: profiles, the registry of notebooks, execution, the site, the PDF, editions.

Nothing here reads the environment or the file system at import time.
"""
