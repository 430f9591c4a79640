"""Files of the trial register and of the research export, with their codebook.

Every file is CSV (UTF-8, comma-separated, one header row) and every column is described
once, in :data:`REGISTER_COLUMNS`, :data:`ENTRY_COLUMNS`, :data:`BALANCE_COLUMNS` and the
trial data columns of :mod:`welcomematch.trial.dataset`; the codebook is written from those
declarations. Nothing here names a person: households, groups and units carry the study's
pseudonymous ids, free text (reasons of deviations) stays in the application.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence

from django.utils import translation

from welcomematch.core.trial import TrialData, balance_table, dumps_trial_csv
from welcomematch.trial import dataset
from welcomematch.trial.dataset import Column
from welcomematch.trial.models import RegisterEntry, Study
from welcomematch.trial.selectors import UnitRow, pseudonym, register_entries, register_units

REGISTER_COLUMNS: tuple[Column, ...] = (
    Column("pair", "The randomisation unit, pseudonymous (as in trial.csv).", "U-…"),
    Column("group", "The Welcome Group, pseudonymous.", "G-…"),
    Column("treatment", "The household the coin made the match, pseudonymous.", "H-…"),
    Column("control", "The household the coin made the control, pseudonymous.", "H-…"),
    Column("round", "The matching round that drew the pair (its number).", "integer"),
    Column(
        "coin",
        (
            "The coin's outcome: 1 when it made the household with the smaller reference the "
            "treatment, 0 when it made the other one."
        ),
        "0 | 1",
    ),
    Column(
        "seed",
        "The round's lottery seed: re-running its round file with it gives the same coin.",
        "integer",
    ),
    Column("drawn_at", "When the round was confirmed (UTC).", "ISO 8601"),
    Column("p_treatment_of_treated", "Chance the treated household had of treatment.", "0-1"),
    Column("p_control_of_treated", "Chance the treated household had of control.", "0-1"),
    Column("p_treatment_of_control", "Chance the control household had of treatment.", "0-1"),
    Column("p_control_of_control", "Chance the control household had of control.", "0-1"),
    Column(
        "probability_source",
        (
            "Where the chances come from: the round's lottery audit over N seeds, or the fair "
            "coin of the pair (1/2 each) where the round was not audited."
        ),
        "lottery_audit:N | coin",
    ),
)

ENTRY_COLUMNS: tuple[Column, ...] = (
    Column("entry", "Number of the register row, in the order written.", "integer"),
    Column(
        "kind",
        (
            "deviation = a control household released for matching by an administrator before "
            "the study ended; withdrawal = the household left the study; correction = withdraws "
            "the row named in 'corrects'."
        ),
        "deviation | withdrawal | correction",
    ),
    Column("household", "The household, pseudonymous.", "H-…"),
    Column("arm", "The household's arm.", "treatment | control"),
    Column("corrects", "The entry this correction withdraws.", "integer or empty"),
    Column("recorded_at", "When the row was written (UTC).", "ISO 8601"),
)

BALANCE_COLUMNS: tuple[Column, ...] = (
    Column("covariate", "Baseline covariate (a column of trial.csv).", ""),
    Column("kind", "numeric or categorical.", "numeric | categorical"),
    Column("category", "The category (categorical covariates).", ""),
    Column(
        "treatment",
        "Mean (numeric) or share (categorical) in the treatment arm.",
        "number",
    ),
    Column("control", "Mean or share in the control arm.", "number"),
    Column(
        "std_diff",
        "Standardised difference as trial-analysis.md defines it.",
        "number; empty when undefined",
    ),
    Column("imbalanced", "true when |std_diff| > 0.1.", "true | false"),
)


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def _number(value: object) -> object:
    return repr(value) if isinstance(value, float) else value


def units_csv(units: Sequence[UnitRow]) -> str:
    return _csv(
        [c.name for c in REGISTER_COLUMNS],
        (
            [
                u.pair,
                u.group,
                u.treatment,
                u.control,
                u.unit.round_id,
                u.coin,
                u.seed,
                u.drawn_at.isoformat(),
                _number(u.treated_chances[0]),
                _number(u.treated_chances[1]),
                _number(u.control_chances[0]),
                _number(u.control_chances[1]),
                u.probability_source,
            ]
            for u in units
        ),
    )


def entries_csv(study: Study, entries: Iterable[RegisterEntry]) -> str:
    return _csv(
        [c.name for c in ENTRY_COLUMNS],
        (
            [
                e.pk,
                e.kind,
                pseudonym(study, "household", e.household_id),
                e.arm,
                e.corrects_id,
                e.recorded_at.isoformat(),
            ]
            for e in entries
        ),
    )


def study_csv(study: Study) -> str:
    rows: list[list[object]] = [
        ["title", study.title],
        ["starts_on", study.starts_on.isoformat()],
        ["ends_on", study.ends_on.isoformat()],
        ["analysis_seed", study.analysis_seed],
    ]
    rows += [[f"outcome:{o.code}", f"{o.derivation}({o.item_code})"] for o in study.outcomes.all()]
    return _csv(["key", "value"], rows)


def data_csv(data: TrialData) -> str:
    """The trial data file ``welcomematch.trial/1`` (the core's writer)."""
    return dumps_trial_csv(data)


def balance_rows(data: TrialData, study: Study) -> list[dict[str, object]]:
    """The balance table of the baseline covariates (the core's, outcomes left out)."""
    return balance_table(
        data, exclude=[o.code for o in study.outcomes.all()] + list(dataset.NOT_BALANCED)
    )


def balance_csv(table: Sequence[dict[str, object]]) -> str:
    def values(entry: dict[str, object]) -> dict[str, object]:
        found = entry.get("mean") or entry.get("share") or {}
        assert isinstance(found, dict)
        return found

    return _csv(
        [c.name for c in BALANCE_COLUMNS],
        (
            [
                e["covariate"],
                e["kind"],
                e.get("category", ""),
                _number(values(e).get("treatment")),
                _number(values(e).get("control")),
                _number(e["std_diff"]),
                "true" if e["imbalanced"] else "false",
            ]
            for e in table
        ),
    )


def codebook_csv(files: Sequence[tuple[str, Sequence[Column]]]) -> str:
    return _csv(
        ["file", "column", "meaning", "values"],
        ([name, c.name, str(c.meaning), str(c.values)] for name, cols in files for c in cols),
    )


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def register_files(study: Study) -> dict[str, str]:
    """The register for pre-registration: study, units, register rows, codebook."""
    with translation.override("en"):
        return {
            "study.csv": study_csv(study),
            "units.csv": units_csv(register_units(study=study)),
            "entries.csv": entries_csv(study, register_entries(study=study)),
            "codebook.csv": codebook_csv(
                [
                    (
                        "study.csv",
                        [Column("key", "Setting of the study.", ""), Column("value", "", "")],
                    ),
                    ("units.csv", REGISTER_COLUMNS),
                    ("entries.csv", ENTRY_COLUMNS),
                ]
            ),
        }


def research_files(study: Study, data: TrialData) -> dict[str, str]:
    """The research export: the trial data file, its balance table, the register, codebook."""
    with translation.override("en"):
        files = register_files(study)
        files.pop("codebook.csv")
        return {
            "trial.csv": data_csv(data),
            "balance.csv": balance_csv(balance_rows(data, study)),
            **files,
            "codebook.csv": codebook_csv(
                [
                    (
                        "trial.csv",
                        [
                            *dataset.DESIGN_COLUMNS,
                            *dataset.outcome_columns(study),
                            *dataset.COVARIATES,
                        ],
                    ),
                    ("balance.csv", BALANCE_COLUMNS),
                    ("units.csv", REGISTER_COLUMNS),
                    ("entries.csv", ENTRY_COLUMNS),
                ]
            ),
        }


def zipped(files: dict[str, str]) -> bytes:
    return _zip(files)
