"""Date formats of the pages, one per language (``FORMAT_MODULE_PATH``); everything not set
here (numbers, input formats) is Django's format for the language."""
