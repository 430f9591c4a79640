"""The pure core: matching mathematics, lottery, trial design and statistics.

Nothing under this package imports Django (an import-linter contract enforces it). The
Django apps translate database rows into the frozen dataclasses of :mod:`welcomematch.core.model`
and back.
"""
