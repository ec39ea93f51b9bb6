"""The fixed indicator ids and their human labels.

The ids are constants in code because code, stored rows, exports and URLs
depend on them; the labels live in ``taxonomy.toml`` of the data folder so an
analyst can edit them. ``load_taxonomy`` checks that the file and the constants
agree. There is no module-level default: the data folder comes from the
settings and is passed in, so every reader sees the same labels.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pycountry

from indicators.models import LANGS

CATEGORY_IDS: tuple[str, ...] = (
    "terrorist_activity",
    "tactics_methods",
    "extremist_ideology",
    "online_platforms",
    "cyber_threats",
    "terrorist_financing",
    "counter_measures",
)
PLATFORM_IDS: tuple[str, ...] = (
    "telegram",
    "whatsapp",
    "tiktok",
    "youtube",
    "instagram",
    "facebook",
    "vk",
    "odnoklassniki",
    "x",
    "discord",
    "darknet",
    "other_online",
)
# How attacks are prepared and financed: sub-types that refine `tactics_methods`
# (and the recruitment and financing the other categories cover). Not a filter
# axis: the "Methods over time" chart and the exports break relevant stories
# down by them.
METHOD_IDS: tuple[str, ...] = (
    "explosives_ied",
    "firearms",
    "bladed_weapons",
    "vehicle_ramming",
    "arson",
    "hostage_taking",
    "suicide_attack",
    "drones",
    "poisoning",
    "online_recruitment",
    "crypto_financing",
    "crowdfunding_financing",
    "hoax_threats",
)
KZ_REGION_CODES: tuple[str, ...] = tuple(
    sorted(s.code for s in pycountry.subdivisions.get(country_code="KZ"))
)
COUNTRY_CODE = "KZ"


class TaxonomyError(ValueError):
    """The taxonomy file disagrees with the fixed ids or is malformed."""


Labels = Mapping[str, Mapping[str, str]]  # id -> lang -> label


@dataclass(frozen=True)
class Taxonomy:
    """Labels for every id on the tag axes (taxonomy.toml; actors from actors.yaml)."""

    version: str
    categories: Labels = field(default_factory=dict)
    platforms: Labels = field(default_factory=dict)
    regions: Labels = field(default_factory=dict)  # KZ units and KZ itself
    countries: Labels = field(default_factory=dict)  # other countries (ru/kk; en optional)
    descriptions: Mapping[str, str] = field(default_factory=dict)  # category id -> text
    # organizations (data/actors.yaml, not taxonomy.toml): filled in by the lexicon loader
    actors: Labels = field(default_factory=dict)
    methods: Labels = field(default_factory=dict)
    method_descriptions: Mapping[str, str] = field(default_factory=dict)  # id -> what counts

    def label(self, axis: str, id: str, lang: str = "en") -> str:
        """Human label in ``lang``, falling back to English, then to the id."""
        table: Labels
        if axis == "category":
            table = self.categories
        elif axis == "platform":
            table = self.platforms
        elif axis in ("region", "country"):
            table = self.regions if id in self.regions else self.countries
        elif axis == "actor":
            table = self.actors
        elif axis == "method":
            table = self.methods
        else:
            raise ValueError(f"unknown axis {axis!r}")
        labels = table.get(id, {})
        if lang in labels:
            return labels[lang]
        if "en" in labels:
            return labels["en"]
        if axis in ("region", "country") and len(id) == 2:
            country = pycountry.countries.get(alpha_2=id.upper())
            if country is not None:
                return str(getattr(country, "common_name", None) or country.name)
        return id

    def is_region(self, code: str) -> bool:
        """Whether ``code`` is valid on the region axis: a KZ unit, KZ, or an ISO country."""
        return code in KZ_REGION_CODES or is_country_code(code)


def is_country_code(code: str) -> bool:
    """An upper-case ISO 3166-1 alpha-2 code known to pycountry (KZ included)."""
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def _labels(raw: Any, where: str, required: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{where}: expected a table of labels")
    labels = {k: v for k, v in raw.items() if k in LANGS}
    for key, value in labels.items():
        if not isinstance(value, str) or not value.strip():
            raise TaxonomyError(f"{where}.{key}: label must be a non-empty string")
    missing = [lang for lang in required if lang not in labels]
    if missing:
        raise TaxonomyError(f"{where}: missing label(s) {', '.join(missing)}")
    return labels


def _check_ids(found: list[str], expected: tuple[str, ...], what: str) -> None:
    if found != list(expected):
        unknown = sorted(set(found) - set(expected))
        missing = [i for i in expected if i not in found]
        detail = []
        if unknown:
            detail.append(f"unknown {unknown}")
        if missing:
            detail.append(f"missing {missing}")
        if not detail:
            detail.append(f"order must be {list(expected)}")
        raise TaxonomyError(f"taxonomy.toml [{what}]: " + "; ".join(detail))


def parse_taxonomy(raw: Mapping[str, Any]) -> Taxonomy:
    """Validate parsed taxonomy.toml content against the fixed ids."""
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise TaxonomyError("taxonomy.toml: `version` must be a non-empty string")
    cats = raw.get("categories", {})
    plats = raw.get("platforms", {})
    regs = raw.get("regions", {})
    countries = raw.get("countries", {})
    methods = raw.get("methods", {})
    _check_ids(list(cats), CATEGORY_IDS, "categories")
    _check_ids(list(methods), METHOD_IDS, "methods")
    _check_ids(list(plats), PLATFORM_IDS, "platforms")
    _check_ids(sorted(regs), tuple(sorted((*KZ_REGION_CODES, COUNTRY_CODE))), "regions")
    for code in countries:
        if not is_country_code(code) or code == COUNTRY_CODE:
            raise TaxonomyError(f"taxonomy.toml [countries.{code}]: not an ISO 3166-1 code")
    full = LANGS
    return Taxonomy(
        version=version,
        categories=MappingProxyType(
            {k: _labels(v, f"categories.{k}", full) for k, v in cats.items()}
        ),
        platforms=MappingProxyType(
            {k: _labels(v, f"platforms.{k}", full) for k, v in plats.items()}
        ),
        regions=MappingProxyType({k: _labels(v, f"regions.{k}", full) for k, v in regs.items()}),
        countries=MappingProxyType(
            {k: _labels(v, f"countries.{k}", ("ru", "kk")) for k, v in countries.items()}
        ),
        descriptions=MappingProxyType({k: str(v.get("description", "")) for k, v in cats.items()}),
        methods=MappingProxyType({k: _labels(v, f"methods.{k}", full) for k, v in methods.items()}),
        method_descriptions=MappingProxyType(
            {k: str(v.get("description", "")) for k, v in methods.items()}
        ),
    )


def load_taxonomy(data_dir: Path) -> Taxonomy:
    """Read ``data_dir/taxonomy.toml`` and validate it against the fixed ids."""
    path = Path(data_dir) / "taxonomy.toml"
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{path}: {exc}") from exc
    return parse_taxonomy(raw)
