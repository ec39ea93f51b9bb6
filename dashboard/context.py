"""What every page needs, built once by `create_app` and passed down explicitly.

No module of the dashboard holds global state or reads configuration: the
factory builds one `DashboardContext` (engine, versions, map shapes, clock)
and hands it to each page's `register(app, ctx)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from dashboard import access
from dashboard.csrf import CsrfGuard
from dashboard.i18n import ENGLISH, SOURCE_LANGUAGE, Translator
from dashboard.labels import label_in
from dashboard.query_runner import QueryRunner
from indicators.actors import Actor
from indicators.detection import DetectionConfig
from indicators.emerging_report import EmergingConfig
from indicators.places import Place
from indicators.playbooks import Playbook
from indicators.selection import Vocabulary, default_vocabulary
from indicators.taxonomy import Taxonomy

# The languages of the news (the language filter), in English; shown through `t(...)`.


@dataclass(frozen=True)
class MapShapes:
    """The served map file's feature ids, names and label points (read once at start-up)."""

    geojson_url: str  # where the browser fetches the shapes (an /assets/ URL)
    topojson_url: str  # plotly's base-map folder, pointed at the app's own assets
    ids: tuple[str, ...]
    names: Mapping[str, str]
    kinds: Mapping[str, str]  # "kz_unit" | "country"
    label_points: Mapping[str, tuple[float, float]]  # id -> (lon, lat)

    @property
    def kz_units(self) -> tuple[str, ...]:
        return tuple(i for i in self.ids if self.kinds[i] == "kz_unit")

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(i for i in self.ids if self.kinds[i] == "country")


def load_map_shapes(path: Path, geojson_url: str, topojson_url: str) -> MapShapes:
    collection = json.loads(path.read_text(encoding="utf-8"))
    ids: list[str] = []
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    points: dict[str, tuple[float, float]] = {}
    for feature in collection["features"]:
        fid, props = feature["id"], feature["properties"]
        ids.append(fid)
        names[fid] = props["name"]
        kinds[fid] = props["kind"]
        points[fid] = (float(props["label_lon"]), float(props["label_lat"]))
    return MapShapes(geojson_url, topojson_url, tuple(ids), names, kinds, points)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DashboardContext:
    engine: Engine
    shapes: MapShapes
    taxonomy: Taxonomy  # labels, as loaded from the data folder
    lexicon_version: str
    title: str = "threatmon"
    demo: bool = False
    api_path: str = "/api/snapshot"
    clock: Callable[[], datetime] = field(default=_utc_now)
    playbooks: Mapping[str, Playbook] = field(default_factory=dict)  # response playbooks by id
    # The alert actions' engine: None keeps the dashboard read-only (`serve --read-only`).
    # Every write goes through indicators.store.alerts with this engine, nothing else.
    writer: Engine | None = None
    csrf: CsrfGuard = field(default_factory=CsrfGuard)
    detection: DetectionConfig = field(default_factory=DetectionConfig)  # the expected bands
    # organizations (data/actors.yaml): labels, kinds and designation facts, in file order
    actors: Mapping[str, Actor] = field(default_factory=dict)
    # the Kazakh units' administrative centres (data/gazetteer/coordinates.toml), for STIX
    places: Mapping[str, Place] = field(default_factory=dict)
    # Emerging terms: the data folder and overlay whose lexicon terms are left out (and
    # where proposals go when the dashboard is writable), the stop words, the settings.
    data_dir: Path | None = None
    lexicon_overlay: Path | None = None
    stop_words: frozenset[str] = frozenset()
    emerging: EmergingConfig = field(default_factory=EmergingConfig)
    # the interface languages' translators (dashboard.i18n.load_translators); English always
    translators: Mapping[str, Translator] = field(default_factory=dict)
    # runs a view's independent queries side by side (`runner.all(f, g)`)
    runner: QueryRunner = field(default_factory=QueryRunner)

    def translator(self, lang: str | None) -> Translator:
        """The translator of an interface language; English (the source) when unknown."""
        return self.translators.get(lang or SOURCE_LANGUAGE) or ENGLISH

    @property
    def read_only(self) -> bool:
        return self.writer is None

    def writable(self) -> bool:
        """May this request write: a writable engine, and (with sign-in) an analyst."""
        return self.writer is not None and access.may_act()

    @property
    def vocabulary(self) -> Vocabulary:
        """The ids a filter may name here: the taxonomy's, and the organizations loaded."""
        return replace(default_vocabulary(), actors=frozenset(self.actors))

    @property
    def taxonomy_version(self) -> str:
        return self.taxonomy.version

    def today(self) -> date:
        """Today's UTC date: the end of the quick date presets."""
        return self.clock().astimezone(UTC).date()

    def label(
        self,
        axis: str,
        value: str,
        sources: Mapping[int, str] | None = None,
        lang: str = SOURCE_LANGUAGE,
    ) -> str:
        """A human label for a tag value, language or source id (see `label_in`)."""
        return label_in(self.taxonomy, self.translator(lang), axis, value, sources)

    def labeller(self, lang: str) -> Callable[..., str]:
        """`label` bound to one interface language, for components that take a labeller."""

        def label(axis: str, value: str, sources: Mapping[int, str] | None = None) -> str:
            return self.label(axis, value, sources, lang)

        return label
