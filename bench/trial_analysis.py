"""Trial analysis benchmark: prints the time of ``analyse`` and ``dumps_result`` per size.

Run: ``PYTHONPATH=. python bench/trial_analysis.py``. Sizes: the pilot (29 pairs, exact
randomisation p-value), a city programme (500 pairs) and a national one (5 000 pairs), each
with 8 covariates, 3 outcomes and 25% control attrition (Monte Carlo with 10 000 draws beyond
20 intact pairs). Nothing is asserted: the figures are for reading.
"""

from __future__ import annotations

import time

import numpy as np

from welcomematch.core.trial import analyse, dumps_result, parse_trial_csv


def trial_csv(pairs: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    covariates = [f"c{i}" for i in range(8)]
    outcomes = ["y0", "y1", "y2"]
    lines = [",".join(["pair", "arm", "unit", *covariates, *outcomes])]
    for p in range(pairs):
        for arm, lost in (("treatment", 0.05), ("control", 0.25)):
            cells = [f"P{p}", arm, f"U{p}{arm[0]}"]
            cells += [
                f"{rng.normal(35, 10):.0f}" if i % 2 else ["SY", "ER", "AF", "IR"][rng.integers(4)]
                for i in range(8)
            ]
            cells += ["" if rng.random() < lost else f"{rng.normal(0.3, 1):.2f}" for _ in outcomes]
            lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def main() -> None:
    print(f"{'size':<10}{'pairs':>7}{'parse s':>10}{'analyse s':>11}{'dumps s':>10}{'method':>13}")
    for name, pairs in (("pilot", 29), ("city", 500), ("national", 5000)):
        text = trial_csv(pairs, seed=pairs)
        start = time.perf_counter()
        data = parse_trial_csv(text)
        parsed = time.perf_counter()
        result = analyse(data, ["y0", "y1", "y2"], seed=0)
        analysed = time.perf_counter()
        dumps_result(result)
        dumped = time.perf_counter()
        method = result["outcomes"][0]["randomisation"]["method"]  # type: ignore[index]
        print(
            f"{name:<10}{pairs:>7}{parsed - start:>10.3f}{analysed - parsed:>11.3f}"
            f"{dumped - analysed:>10.3f}{method:>13}"
        )


if __name__ == "__main__":
    main()
