"""``python -m welcomematch.cli``: the same as the ``welcomematch`` command."""

from welcomematch.cli import run

run()
