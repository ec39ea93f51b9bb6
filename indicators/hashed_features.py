"""Hashed features for the learned second looks (region model, relevance model).

A feature is a text token in a named group ("ctx": "L:уроженец"); its weight
sits in one of 2^bits buckets. The token is hashed once whatever group it is
in (a word is a feature of several groups and of many items) and the group
adds a salt, so looking a feature up costs one cached hash and an addition.
CRC-32, not Python's `hash`: the same bucket in every process. Pure Python:
the command-line tagger loads no numpy (training does, in tools/).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1 << 17)
def token_hash(token: str) -> int:
    return zlib.crc32(token.encode())


@lru_cache(maxsize=1024)
def group_salt(group: str) -> int:
    return zlib.crc32(f"{group}\x01".encode()) * 0x9E3779B1


def bucket(group: str, token: str, mask: int) -> int:
    """The bucket of a token of a group."""
    return (token_hash(token) + group_salt(group)) & mask


def count_bucket(n: int) -> str:
    """A count as a feature: 0, 1, 2, 3-4, 5+ (the models care about few against many)."""
    return str(n) if n < 3 else ("3-4" if n < 5 else "5+")


def group_value(group: str, size: int, scaled: frozenset[str]) -> float:
    """Each feature's value: 1, or 1/sqrt(size) for a scaled group (long texts do not
    dominate). A kind-crossed group "<group>:<kind>" scales like its base group."""
    return 1.0 / math.sqrt(size) if group.partition(":")[0] in scaled else 1.0


def vector(
    groups: Mapping[str, Collection[str]], bits: int, scaled: frozenset[str]
) -> dict[int, float]:
    """bucket -> value for training (colliding features add up)."""
    mask = (1 << bits) - 1
    out: dict[int, float] = {}
    for group, found in groups.items():
        if found:
            value = group_value(group, len(found), scaled)
            for token in found:
                key = bucket(group, token, mask)
                out[key] = out.get(key, 0.0) + value
    return out


def partial_score(
    weights: Mapping[int, float],
    groups: Mapping[str, Collection[str]],
    bits: int,
    scaled: frozenset[str],
) -> float:
    """These groups' share of a linear score: what `vector` would give, without building it."""
    mask = (1 << bits) - 1
    z = 0.0
    for group, found in groups.items():
        if not found:
            continue
        value = group_value(group, len(found), scaled)
        salt = group_salt(group)
        for token in found:
            w = weights.get((token_hash(token) + salt) & mask)
            if w is not None:
                z += w * value
    return z


def score_hashed(
    weights: Mapping[int, float], token_hashes: Collection[int], group: str, mask: int
) -> float:
    """`partial_score` of one unscaled group whose tokens' hashes are already known: an
    item's features crossed with several labels are hashed once, not once per label."""
    salt = group_salt(group)
    z = 0.0
    for h in token_hashes:
        w = weights.get((h + salt) & mask)
        if w is not None:
            z += w
    return z


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def read_model_json(path: Path, name: str, error: type[ValueError]) -> Any:
    """A model file's JSON, or `error` naming the file (`name`) and what is wrong."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{name}: unreadable: {exc}") from exc


def check_buckets(bits: int, buckets: Iterable[int], name: str, error: type[ValueError]) -> None:
    """Refuse a model whose weights do not fit its feature space."""
    if not 8 <= bits <= 24 or any(not 0 <= k < 1 << bits for k in buckets):
        raise error(f"{name}: feature buckets outside {bits} bits")
