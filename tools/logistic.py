"""L2-regularized logistic regression over hashed sparse features, for training the models.

Both learned models (tools/train_region_model.py, tools/train_relevance_model.py) are
fitted here: full-batch Adam from zero weights, so a refit on the same rows gives the
same weights. numpy is used here only; the tagger scores in plain Python
(`indicators.hashed_features`).
"""

from __future__ import annotations

import numpy as np

ITERATIONS = 300
STEP = 0.1


def fit(
    rows: list[dict[int, float]], labels: list[int], lam: float
) -> tuple[dict[int, float], float]:
    """L2-regularized logistic regression by full-batch Adam from zero (deterministic)."""
    sizes = [len(r) for r in rows]
    cols = np.fromiter((k for r in rows for k in r), np.int64, sum(sizes))
    vals = np.fromiter((v for r in rows for v in r.values()), np.float64, sum(sizes))
    owner = np.repeat(np.arange(len(rows)), sizes)
    used, col = np.unique(cols, return_inverse=True)
    y = np.asarray(labels, np.float64)
    n, d = len(rows), len(used)
    w, b = np.zeros(d), 0.0
    m1, m2 = np.zeros(d + 1), np.zeros(d + 1)
    for t in range(1, ITERATIONS + 1):
        z = np.bincount(owner, weights=vals * w[col], minlength=n) + b
        g = (1.0 / (1.0 + np.exp(-z)) - y) / n
        grad = np.append(np.bincount(col, weights=vals * g[owner], minlength=d) + lam * w, g.sum())
        m1 = 0.9 * m1 + 0.1 * grad
        m2 = 0.999 * m2 + 0.001 * grad * grad
        step = STEP * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
        w -= step[:-1]
        b -= float(step[-1])
    return dict(zip(used.tolist(), w.tolist(), strict=True)), b


def predict(weights: dict[int, float], bias: float, rows: list[dict[int, float]]) -> list[float]:
    """p of each row under the fitted weights."""
    out = []
    for row in rows:
        z = bias + sum(weights.get(k, 0.0) * v for k, v in row.items())
        out.append(float(1.0 / (1.0 + np.exp(-z))))
    return out
