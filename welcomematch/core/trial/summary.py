"""Plain-language summary of one outcome's analysis, in English or Dutch.

One sentence on the effect — from the paired estimate (the design's own comparison) when
there are at least two intact pairs, else from the difference in means — saying "we cannot
yet tell" whenever its 95% interval contains zero (or there is no interval); and, when
attrition differs between the arms (the contract's ``warning``), a second sentence that says
so and gives the Lee bounds. Dutch is written without addressing the reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from welcomematch.core.trial.estimates import (
    Attrition,
    DifferenceInMeans,
    LeeBounds,
    Paired,
    Randomisation,
)

__all__ = ["LANGUAGES", "summarise"]

LANGUAGES: tuple[str, ...] = ("en", "nl")

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "paired": "In the {n} pairs where both households answered, {outcome} was on average "
        "{size} {direction} for matched households than for their controls "
        "(95% interval {low} to {high}{p})",
        "means": "Comparing all households that answered ({n_t} matched, {n_c} control), "
        "{outcome} was on average {size} {direction} for matched households "
        "(95% interval {low} to {high}{p})",
        "same": "In the {n} pairs where both households answered, {outcome} was on average "
        "the same for matched households and their controls (95% interval {low} to {high}{p})",
        "same_means": "Comparing all households that answered ({n_t} matched, {n_c} control), "
        "{outcome} was on average the same in both arms (95% interval {low} to {high}{p})",
        "higher": "higher",
        "lower": "lower",
        "p": ", randomisation p = {p}",
        "unclear": ", so we cannot yet tell whether matching makes a difference.",
        "clear_up": ": matching raised {outcome}.",
        "clear_down": ": matching lowered {outcome}.",
        "too_few": "Too few households have answered on {outcome} to estimate an effect, "
        "so we cannot yet tell whether matching makes a difference.",
        "warning": "Warning: {t}% of matched and {c}% of control households gave no answer; "
        "when more answers are missing in one arm than in the other, the comparison can be biased",
        "lee": " (allowing for that, the effect lies between {low} and {high})",
    },
    "nl": {
        "paired": "In de {n} paren waarin beide huishoudens antwoordden, was {outcome} bij "
        "gekoppelde huishoudens gemiddeld {size} {direction} dan bij hun controles "
        "(95%-interval {low} tot {high}{p})",
        "means": "Over alle huishoudens die antwoordden ({n_t} gekoppeld, {n_c} controle) was "
        "{outcome} bij gekoppelde huishoudens gemiddeld {size} {direction} "
        "(95%-interval {low} tot {high}{p})",
        "same": "In de {n} paren waarin beide huishoudens antwoordden, was {outcome} bij "
        "gekoppelde huishoudens en hun controles gemiddeld gelijk "
        "(95%-interval {low} tot {high}{p})",
        "same_means": "Over alle huishoudens die antwoordden ({n_t} gekoppeld, {n_c} controle) "
        "was {outcome} in beide groepen gemiddeld gelijk (95%-interval {low} tot {high}{p})",
        "higher": "hoger",
        "lower": "lager",
        "p": ", randomisatie-p = {p}",
        "unclear": ", dus we kunnen nog niet zeggen of de koppeling verschil maakt.",
        "clear_up": ": de koppeling verhoogde {outcome}.",
        "clear_down": ": de koppeling verlaagde {outcome}.",
        "too_few": "Te weinig huishoudens hebben geantwoord op {outcome} om een effect te "
        "schatten, dus we kunnen nog niet zeggen of de koppeling verschil maakt.",
        "warning": "Let op: {t}% van de gekoppelde en {c}% van de controlehuishoudens gaf geen "
        "antwoord; als in de ene groep meer antwoorden ontbreken dan in de andere, kan de "
        "vergelijking vertekend zijn",
        "lee": " (daarmee rekening houdend ligt het effect tussen {low} en {high})",
    },
}


def _number(value: float, language: str) -> str:
    """Two decimals, or two significant digits for small values; Dutch decimal comma."""
    if value == 0:
        text = "0"
    elif abs(value) >= 0.1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.2g}"
        if "e" in text:
            text = f"{value:.6f}".rstrip("0")
    if language == "nl":
        text = text.replace(".", ",")
    return text


def _percent(share: float) -> str:
    return str(round(100 * share))


@dataclass(frozen=True, slots=True)
class _Interval:
    estimate: float
    low: float
    high: float


def summarise(
    *,
    outcome: str,
    observed_treatment: int,
    observed_control: int,
    attrition: Attrition,
    difference_in_means: DifferenceInMeans | None,
    paired: Paired | None,
    randomisation: Randomisation | None,
    lee_bounds: LeeBounds | None,
    language: str = "en",
) -> str:
    """One or two plain-language sentences on what the numbers allow one to say."""
    if language not in _TEXT:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    text = _TEXT[language]

    def num(value: float) -> str:
        return _number(value, language)

    p = "" if randomisation is None else text["p"].format(p=num(randomisation.p_value))
    if paired is not None:
        interval = _Interval(paired.estimate, *paired.ci95)
        key = "paired"
    elif difference_in_means is not None:
        interval = _Interval(difference_in_means.estimate, *difference_in_means.ci95)
        key = "means"
        p = ""  # the randomisation p-value is over intact pairs, not this comparison
    else:
        interval = None
    if interval is None:
        sentence = text["too_few"].format(outcome=outcome)
    else:
        if interval.estimate == 0:
            key = "same" if key == "paired" else "same_means"
        sentence = text[key].format(
            n=paired.pairs if paired is not None else 0,
            n_t=observed_treatment,
            n_c=observed_control,
            outcome=outcome,
            size=num(abs(interval.estimate)),
            direction=text["higher"] if interval.estimate > 0 else text["lower"],
            low=num(interval.low),
            high=num(interval.high),
            p=p,
        )
        if interval.low <= 0 <= interval.high:
            sentence += text["unclear"]
        else:
            ending = "clear_up" if interval.estimate > 0 else "clear_down"
            sentence += text[ending].format(outcome=outcome)
    if attrition.warning:
        warning = text["warning"].format(
            t=_percent(attrition.treatment), c=_percent(attrition.control)
        )
        if lee_bounds is not None:
            warning += text["lee"].format(low=num(lee_bounds.lower), high=num(lee_bounds.upper))
        sentence += " " + warning + "."
    return sentence
