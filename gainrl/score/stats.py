"""Rank statistics of angle scores: the one Spearman correlation `gainrl score` (the card's score-vs-length check)
and `gainrl audit` use.

What it does not cover: bootstrap intervals and partial correlations (`gainrl.score.audit`).
"""

from __future__ import annotations

import math

from scipy.stats import spearmanr


def spearman(x, y) -> float | None:
    """Spearman's rho over the pairs where neither value is NaN; None when fewer than 3 pairs remain or either side
    is constant (rho is undefined)."""
    pairs = [(float(a), float(b)) for a, b in zip(x, y) if not (math.isnan(a) or math.isnan(b))]
    if len(pairs) < 3 or len({a for a, _ in pairs}) < 2 or len({b for _, b in pairs}) < 2:
        return None
    return float(spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic)
