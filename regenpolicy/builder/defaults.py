"""Defaults the command line shows and the build uses (standard library only: the command line reads
them before it imports anything heavy)."""

DEFAULT_CELL_TIMEOUT = 600  # seconds a notebook cell may run before the build stops it
