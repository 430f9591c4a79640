"""Analysis of the randomised trial (``trial-analysis.md``): data file, estimates, result.

Pure NumPy/SciPy, never Django. One concern a module: :mod:`.data` (the
``welcomematch.trial/1`` file and its pair design), :mod:`.estimates` (attrition, difference
in means, paired estimate, randomisation p-value, Lee bounds, mde80), :mod:`.balance` (the
balance table), :mod:`.summary` (plain-language sentences) and :mod:`.result` (assembling
the ``welcomematch.trial-result/1`` structure and writing it).
"""

from __future__ import annotations

from welcomematch.core.trial.balance import balance_table
from welcomematch.core.trial.data import (
    DATA_FORMAT,
    TrialData,
    dumps_trial_csv,
    parse_trial_bytes,
    parse_trial_csv,
    read_trial_file,
    trial_data_from_rows,
)
from welcomematch.core.trial.result import DEFAULT_DRAWS, RESULT_FORMAT, analyse, dumps_result

__all__ = [
    "DATA_FORMAT",
    "DEFAULT_DRAWS",
    "RESULT_FORMAT",
    "TrialData",
    "analyse",
    "balance_table",
    "dumps_result",
    "dumps_trial_csv",
    "parse_trial_bytes",
    "parse_trial_csv",
    "read_trial_file",
    "trial_data_from_rows",
]
