"""Synthetic but realistic matching rounds, for demos, tests and benchmarks.

Participants live in clustered cities with Dutch-like centres and sizes: each city gets a pool
of postcode points (a PC4 area's centroid is what a geocoder returns), scattered a few km around
its centre, and several participants share each point, so exact distance ties are common, as
they are in practice. Rankings are partial and biased towards plausible preferences;
capacities and vulnerabilities run 0-3; a few pairs are excluded (a previous match that broke
down). Everything is vectorised with numpy and drawn from ``numpy.random.default_rng(seed)``:
the same arguments give the same :class:`~welcomematch.core.model.Round`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from welcomematch.core.errors import InvalidInput
from welcomematch.core.model import Group, Household, Mechanism, Parameters, Round

#: Household composition categories (the programme's five).
HOUSEHOLD_TYPES: tuple[str, ...] = (
    "family_with_children",
    "couple",
    "single_parent",
    "single_man",
    "single_woman",
)
_HOUSEHOLD_TYPE_SHARE = (0.35, 0.15, 0.15, 0.25, 0.10)

#: Welcome Group composition categories.
GROUP_TYPES: tuple[str, ...] = (
    "with_children",
    "mixed_ages",
    "young_adults",
    "seniors",
    "colleagues",
)
_GROUP_TYPE_SHARE = (0.25, 0.30, 0.20, 0.10, 0.15)

#: How strongly a household type is sought by groups (higher: ranked earlier on average),
#: and a group type by households; plus noise, this yields varied partial rankings.
_HOUSEHOLD_APPEAL = (1.0, 0.8, 0.6, 0.0, 0.4)
_GROUP_APPEAL = (1.0, 0.8, 0.3, 0.2, 0.4)

#: Length of a ranking: 0 (no preference), 1, 2, 3 or all five, with these shares.
_RANKING_LENGTH_SHARE = (0.05, 0.10, 0.20, 0.25, 0.40)

_CAPACITY_SHARE = (0.15, 0.35, 0.30, 0.20)  # capacity 0..3
_VULNERABILITY_SHARE = (0.30, 0.35, 0.20, 0.15)  # vulnerability 0..3

#: Share of households that exclude one group of their city, and of groups excluding one
#: household (a previous match that broke down, a conflict of interest).
_EXCLUDE_SHARE = 0.01

#: Participants per postcode point on average.
_PARTICIPANTS_PER_POINT = 4.0

#: City centres (lat, lon), largest first; beyond these, centres are drawn inside the country.
CITY_CENTRES: tuple[tuple[str, float, float], ...] = (
    ("Amsterdam", 52.3728, 4.8936),
    ("Rotterdam", 51.9225, 4.4792),
    ("Den Haag", 52.0705, 4.3007),
    ("Utrecht", 52.0907, 5.1214),
    ("Eindhoven", 51.4416, 5.4697),
    ("Groningen", 53.2194, 6.5665),
    ("Tilburg", 51.5555, 5.0913),
    ("Almere", 52.3508, 5.2647),
    ("Breda", 51.5719, 4.7683),
    ("Nijmegen", 51.8126, 5.8372),
    ("Apeldoorn", 52.2112, 5.9699),
    ("Haarlem", 52.3874, 4.6462),
    ("Arnhem", 51.9851, 5.8987),
    ("Enschede", 52.2215, 6.8937),
    ("Amersfoort", 52.1561, 5.3878),
    ("Zaanstad", 52.4391, 4.8275),
    ("Den Bosch", 51.6978, 5.3037),
    ("Zwolle", 52.5168, 6.0830),
    ("Leiden", 52.1601, 4.4970),
    ("Maastricht", 50.8514, 5.6910),
    ("Dordrecht", 51.8133, 4.6901),
    ("Leeuwarden", 53.2012, 5.7999),
    ("Alkmaar", 52.6324, 4.7534),
    ("Delft", 52.0116, 4.3571),
    ("Deventer", 52.2550, 6.1639),
)

_KM_PER_DEGREE_LAT = 111.32


def _city_layout(
    rng: np.random.Generator, cities: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centres (lat, lon) and relative sizes (summing to 1) of ``cities`` cities."""
    known = min(cities, len(CITY_CENTRES))
    lat = np.array([c[1] for c in CITY_CENTRES[:known]], dtype=np.float64)
    lon = np.array([c[2] for c in CITY_CENTRES[:known]], dtype=np.float64)
    extra = cities - known
    if extra:
        lat = np.concatenate([lat, rng.uniform(51.4, 53.2, extra)])
        lon = np.concatenate([lon, rng.uniform(4.3, 6.9, extra)])
    # Zipf-like sizes with noise: a few big cities, a long tail of small ones.
    sizes = (1.0 / np.arange(1, cities + 1) ** 0.8) * rng.uniform(0.7, 1.3, cities)
    return lat, lon, sizes / sizes.sum()


def _rankings(
    rng: np.random.Generator, n: int, appeal: tuple[float, ...], names: tuple[str, ...]
) -> list[tuple[str, ...]]:
    """``n`` partial rankings of ``names``: noisy order by appeal, cut at a random length."""
    k = len(names)
    if n == 0:
        return []
    scores = np.asarray(appeal, dtype=np.float64)[None, :] + rng.gumbel(0.0, 0.6, (n, k))
    order = np.argsort(-scores, axis=1, kind="stable")
    length_options = np.array([0, 1, 2, 3, k])
    lengths = length_options[rng.choice(len(length_options), n, p=_RANKING_LENGTH_SHARE)]
    cache: dict[tuple[int, ...], tuple[str, ...]] = {}
    rankings: list[tuple[str, ...]] = []
    for row, length in zip(order.tolist(), lengths.tolist(), strict=True):
        key = tuple(row[:length])
        names_row = cache.get(key)
        if names_row is None:
            names_row = tuple(names[i] for i in key)
            cache[key] = names_row
        rankings.append(names_row)
    return rankings


def _id_width(n: int) -> int:
    return max(2, len(str(n)))


def generate_round(
    *,
    groups: int,
    households: int,
    cities: int,
    seed: int,
    control_arm: bool = False,
    mechanism: Mechanism = Mechanism.OPTIMAL,
    max_distance_km: float = 5.0,
) -> Round:
    """A synthetic round of ``groups`` Welcome Groups and ``households`` households.

    Parameters
    ----------
    groups, households:
        Number of participants on each side (>= 0).
    cities:
        Number of city clusters (>= 1); the first 25 use real Dutch city centres.
    seed:
        Seed of every random draw (>= 0), also stored as the round's lottery seed.
    control_arm, mechanism, max_distance_km:
        The round's parameters; ``control_arm`` with ``stable`` is an input error, as in
        round files.

    Returns
    -------
    Round
        Ids ``G01…``/``H01…`` (zero-padded to the count's width), coordinates rounded to
        5 decimals (about a metre).
    """
    for name, value, low in (
        ("groups", groups, 0),
        ("households", households, 0),
        ("cities", cities, 1),
        ("seed", seed, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidInput(f"must be an integer >= {low}, got {value!r}", field=name)
    if control_arm and mechanism is Mechanism.STABLE:
        raise InvalidInput(
            'must be false with mechanism "stable"', record="parameters", field="control_arm"
        )
    if not (math.isfinite(max_distance_km) and max_distance_km > 0):
        raise InvalidInput(
            f"must be a number > 0, got {max_distance_km!r}",
            record="parameters",
            field="max_distance_km",
        )
    rng = np.random.default_rng(seed)
    c_lat, c_lon, share = _city_layout(rng, cities)
    n_total = groups + households

    # Postcode points: each city gets a pool proportional to its expected population.
    points_per_city = np.maximum(
        3, np.ceil(share * n_total / _PARTICIPANTS_PER_POINT).astype(np.int64)
    )
    radius_km = 2.0 + 6.0 * np.sqrt(share / share.max())  # bigger cities spread wider
    point_city = np.repeat(np.arange(cities), points_per_city)
    n_points = int(point_city.shape[0])
    spread = radius_km[point_city] / 2.0
    dy = rng.normal(0.0, 1.0, n_points) * spread
    dx = rng.normal(0.0, 1.0, n_points) * spread
    p_lat = c_lat[point_city] + dy / _KM_PER_DEGREE_LAT
    p_lon = c_lon[point_city] + dx / (_KM_PER_DEGREE_LAT * np.cos(np.radians(c_lat[point_city])))
    p_lat = np.round(np.clip(p_lat, -90.0, 90.0), 5)
    p_lon = np.round(np.clip(p_lon, -180.0, 180.0), 5)
    first_point = np.concatenate([[0], np.cumsum(points_per_city)[:-1]])

    def place(n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        city = rng.choice(cities, n, p=share)
        point = first_point[city] + rng.integers(0, points_per_city[city])
        return city, point

    g_city, g_point = place(groups)
    h_city, h_point = place(households)

    g_type = rng.choice(len(GROUP_TYPES), groups, p=_GROUP_TYPE_SHARE)
    h_type = rng.choice(len(HOUSEHOLD_TYPES), households, p=_HOUSEHOLD_TYPE_SHARE)
    capacity = rng.choice(len(_CAPACITY_SHARE), groups, p=_CAPACITY_SHARE)
    vulnerability = rng.choice(len(_VULNERABILITY_SHARE), households, p=_VULNERABILITY_SHARE)
    g_rankings = _rankings(rng, groups, _HOUSEHOLD_APPEAL, HOUSEHOLD_TYPES)
    h_rankings = _rankings(rng, households, _GROUP_APPEAL, GROUP_TYPES)

    g_ids = [f"G{i + 1:0{_id_width(groups)}d}" for i in range(groups)]
    h_ids = [f"H{j + 1:0{_id_width(households)}d}" for j in range(households)]

    # Occasional exclusions between participants of the same city.
    g_exclude: dict[int, set[str]] = {}
    h_exclude: dict[int, set[str]] = {}
    if groups and households:
        g_by_city = np.argsort(g_city, kind="stable")
        g_city_start = np.searchsorted(g_city[g_by_city], np.arange(cities))
        g_city_count = np.bincount(g_city, minlength=cities)
        h_by_city = np.argsort(h_city, kind="stable")
        h_city_start = np.searchsorted(h_city[h_by_city], np.arange(cities))
        h_city_count = np.bincount(h_city, minlength=cities)
        for j in np.flatnonzero(rng.random(households) < _EXCLUDE_SHARE).tolist():
            c = int(h_city[j])
            if g_city_count[c]:
                i = int(g_by_city[g_city_start[c] + rng.integers(0, g_city_count[c])])
                h_exclude.setdefault(j, set()).add(g_ids[i])
        for i in np.flatnonzero(rng.random(groups) < _EXCLUDE_SHARE).tolist():
            c = int(g_city[i])
            if h_city_count[c]:
                j = int(h_by_city[h_city_start[c] + rng.integers(0, h_city_count[c])])
                g_exclude.setdefault(i, set()).add(h_ids[j])

    glat, glon = p_lat[g_point].tolist(), p_lon[g_point].tolist()
    hlat, hlon = p_lat[h_point].tolist(), p_lon[h_point].tolist()
    gcap, gtyp = capacity.tolist(), g_type.tolist()
    hvul, htyp = vulnerability.tolist(), h_type.tolist()
    empty: frozenset[str] = frozenset()
    group_list = tuple(
        Group(
            id=g_ids[i],
            lat=glat[i],
            lon=glon[i],
            capacity=gcap[i],
            type=GROUP_TYPES[gtyp[i]],
            ranking=g_rankings[i],
            exclude=frozenset(g_exclude[i]) if i in g_exclude else empty,
        )
        for i in range(groups)
    )
    household_list = tuple(
        Household(
            id=h_ids[j],
            lat=hlat[j],
            lon=hlon[j],
            vulnerability=hvul[j],
            type=HOUSEHOLD_TYPES[htyp[j]],
            ranking=h_rankings[j],
            exclude=frozenset(h_exclude[j]) if j in h_exclude else empty,
        )
        for j in range(households)
    )
    return Round(
        parameters=Parameters(
            max_distance_km=float(max_distance_km),
            mechanism=mechanism,
            control_arm=control_arm,
            seed=seed,
        ),
        groups=group_list,
        households=household_list,
    )
