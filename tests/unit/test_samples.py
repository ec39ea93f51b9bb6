"""The bundled sample feeds of the offline demo: what they are and what they promise.

`threatmon demo` serves data/samples/ from 127.0.0.1 and ingests it through the
real pipeline, so a new user sees a working dashboard without internet. For that
the files must parse cleanly, be what data/samples/manifest.toml says they are,
and exercise every part of the dashboard: each taxonomy category, the Kazakh
regions and neighbours, the three languages, hard negatives, one story told by two
feeds and one link carried by two feeds. data/samples/labels.yaml records what
each item is about; these tests hold the feeds and the labels to each other.
"""

from __future__ import annotations

import calendar
import html
import io
import re
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pycountry
import pytest
import yaml

from indicators import taxonomy
from indicators.models import LANGS
from ingest.sources import ENTRY_KEYS, KINDS, parse_feed_list

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
MANIFEST = SAMPLES / "manifest.toml"
LABELS = SAMPLES / "labels.yaml"

CATEGORY_IDS = frozenset(taxonomy.CATEGORY_IDS)
PLATFORM_IDS = frozenset(taxonomy.PLATFORM_IDS)
KZ_UNITS = frozenset(s.code for s in pycountry.subdivisions.get(country_code="KZ"))
NEIGHBOURS = frozenset({"KG", "UZ", "TJ", "AF"})

# The samples are dated in the ten days before 2026-11-25, Kazakhstan time.
KZ_TIME = timezone(timedelta(hours=5))
WINDOW_END = datetime(2026, 11, 25, tzinfo=KZ_TIME)
WINDOW_START = WINDOW_END - timedelta(days=10)

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
SAME_STORY = 0.6  # title overlap at which two items read as one story
DIFFERENT_STORY = 0.5  # below this, two titles read as different stories


# --- loading ---------------------------------------------------------------


@cache
def manifest() -> tuple[dict[str, Any], ...]:
    with MANIFEST.open("rb") as f:
        return tuple(tomllib.load(f)["feeds"])


@cache
def parsed(file: str) -> Any:
    """Parse as the pipeline does: bytes in a file object, never a str (a URL to feedparser)."""
    return feedparser.parse(io.BytesIO((SAMPLES / file).read_bytes()))


@cache
def labels() -> dict[str, Any]:
    with LABELS.open(encoding="utf-8") as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


def files() -> list[str]:
    return [entry["file"] for entry in manifest()]


def entries(file: str) -> list[Any]:
    return list(parsed(file).entries)


def labelled(file: str) -> list[dict[str, Any]]:
    return list(labels()["feeds"][file])


def when(entry: Any) -> datetime:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(stamp), UTC)


def plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def item_text(entry: Any) -> str:
    return f"{entry.title}\n{plain(entry.get('summary', ''))}"


def word_stems(text: str) -> set[str]:
    """Words of four letters or more, cut to five: Russian and Kazakh inflect at the end."""
    return {w[:5] for w in re.findall(r"\w+", text.lower()) if len(w) >= 4 and not w.isdigit()}


def overlap(a: str, b: str) -> float:
    sa, sb = word_stems(a), word_stems(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def script(text: str) -> str:
    """The language a title's letters point to: Kazakh letters, other Cyrillic, or Latin."""
    if KAZAKH_LETTERS & set(text):
        return "kk"
    if re.search("[а-яё]", text, re.IGNORECASE):
        return "ru"
    return "en"


def by_id(file: str) -> dict[str, Any]:
    return {entry.id: entry for entry in entries(file)}


# --- the manifest ----------------------------------------------------------


def test_manifest_entries_are_feed_list_entries_with_a_file_instead_of_a_url() -> None:
    as_feed_list = []
    for entry in manifest():
        assert set(entry) - {"file"} <= ENTRY_KEYS - {"url"}, entry
        fields = {k: v for k, v in entry.items() if k != "file"}
        as_feed_list.append({**fields, "url": f"http://127.0.0.1:8000/{entry['file']}"})
    specs = parse_feed_list({"feeds": as_feed_list}, MANIFEST)
    assert len(specs) == len(manifest())
    assert all(spec.language in LANGS and spec.kind in KINDS for spec in specs)


def test_manifest_names_and_files_are_unique_plain_names_in_the_samples_folder() -> None:
    names = [entry["name"] for entry in manifest()]
    assert len(set(names)) == len(names)
    assert len(set(files())) == len(files())
    for file in files():
        assert Path(file).name == file
        assert (SAMPLES / file).is_file(), file


def test_manifest_holds_the_demo_mix_of_languages_and_kinds() -> None:
    mix = Counter((entry["language"], entry["kind"]) for entry in manifest())
    assert mix == {
        ("ru", "media"): 2,
        ("kk", "media"): 1,
        ("en", "media"): 1,
        ("en", "cyber"): 1,
        ("ru", "official"): 1,
    }


def test_samples_use_rss2_atom_and_rdf() -> None:
    versions = Counter(parsed(file).version for file in files())
    assert versions == Counter({"rss20": 4, "atom10": 1, "rss10": 1})


# --- each feed ---------------------------------------------------------------


@pytest.mark.parametrize("file", files())
def test_sample_parses_cleanly_with_15_to_25_items(file: str) -> None:
    result = parsed(file)
    assert result.bozo == 0, result.get("bozo_exception")
    assert 15 <= len(result.entries) <= 25


@pytest.mark.parametrize("file", files())
def test_every_item_has_title_link_id_and_date(file: str) -> None:
    for entry in entries(file):
        assert entry.get("title", "").strip(), entry
        assert entry.get("id", "").strip(), entry.title
        link = urlsplit(entry.get("link", ""))
        assert link.scheme == "https", entry.title
        assert (link.hostname or "").endswith(".example"), "links must never reach a real site"
        assert entry.get("published_parsed") or entry.get("updated_parsed"), entry.title
    ids = [entry.id for entry in entries(file)]
    links = [entry.link for entry in entries(file)]
    assert len(set(ids)) == len(ids)
    assert len(set(links)) == len(links)


@pytest.mark.parametrize("file", files())
def test_dates_spread_over_the_ten_days_before_2026_11_25(file: str) -> None:
    dates = [when(entry) for entry in entries(file)]
    assert all(WINDOW_START <= d < WINDOW_END for d in dates), min(dates)
    assert len({d.astimezone(KZ_TIME).date() for d in dates}) >= 7


@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["file"])
def test_feed_is_written_in_its_declared_language(entry: dict[str, Any]) -> None:
    feed = parsed(entry["file"])
    assert feed.feed.get("language", "").lower().split("-")[0] == entry["language"]
    scripts = Counter(script(e.title) for e in feed.entries)
    assert scripts.most_common(1)[0][0] == entry["language"], scripts


def test_cyber_feed_mixes_english_with_some_russian() -> None:
    (cyber,) = [e["file"] for e in manifest() if e["kind"] == "cyber"]
    scripts = Counter(script(e.title) for e in entries(cyber))
    assert scripts["en"] > scripts["ru"] >= 3


@pytest.mark.parametrize("file", files())
def test_summaries_carry_html_markup_as_real_feeds_do(file: str) -> None:
    summaries = [entry.get("summary", "") for entry in entries(file)]
    assert sum("<p>" in s for s in summaries) >= len(summaries) // 2
    assert any("<a href=" in s or "&quot;" in s for s in summaries)


# --- labels ----------------------------------------------------------------------


@pytest.mark.parametrize("file", files())
def test_labels_list_every_item_of_the_feed_with_its_title(file: str) -> None:
    feed_ids = [entry.id for entry in entries(file)]
    assert [label["guid"] for label in labelled(file)] == feed_ids
    items = by_id(file)
    for label in labelled(file):
        assert label["title"] == items[label["guid"]].title


@pytest.mark.parametrize("file", files())
def test_labels_use_taxonomy_ids_and_cite_words_from_the_item(file: str) -> None:
    items = by_id(file)
    for label in labelled(file):
        tags = label["tags"]
        assert set(tags) <= {"category", "region", "platform"}
        assert set(tags.get("category", {})) <= CATEGORY_IDS
        assert set(tags.get("platform", {})) <= PLATFORM_IDS
        for code in tags.get("region", {}):
            assert code in KZ_UNITS or pycountry.countries.get(alpha_2=code), code
        text = item_text(items[label["guid"]]).lower()
        for axis_values in tags.values():
            for term in axis_values.values():
                assert term.lower() in text, (label["title"], term)


@pytest.mark.parametrize("file", files())
def test_about_half_of_each_feed_is_threat_relevant(file: str) -> None:
    relevant = [label for label in labelled(file) if label["tags"].get("category")]
    assert 0.45 <= len(relevant) / len(labelled(file)) <= 0.65


def test_every_category_appears_in_at_least_two_feeds() -> None:
    feeds_per_category = Counter(
        category
        for file in files()
        for category in {c for label in labelled(file) for c in label["tags"].get("category", {})}
    )
    assert set(feeds_per_category) == CATEGORY_IDS
    assert min(feeds_per_category.values()) >= 2, feeds_per_category


def test_samples_name_all_twenty_kazakh_units_and_the_neighbours() -> None:
    regions = {
        code
        for file in files()
        for label in labelled(file)
        for code in label["tags"].get("region", {})
    }
    assert regions >= KZ_UNITS, sorted(KZ_UNITS - regions)
    assert regions >= NEIGHBOURS, sorted(NEIGHBOURS - regions)


def test_hard_negatives_are_ordinary_items_in_several_languages() -> None:
    negatives = [
        (file, label) for file in files() for label in labelled(file) if "hard_negative" in label
    ]
    assert len(negatives) >= 4
    assert all(not label["tags"].get("category") for _, label in negatives)
    language_of = {entry["file"]: entry["language"] for entry in manifest()}
    assert len({language_of[file] for file, _ in negatives}) >= 2


# --- duplicates across feeds -----------------------------------------------------


def test_exactly_one_link_is_carried_by_two_feeds_with_one_title() -> None:
    carriers: dict[str, list[Any]] = {}
    for file in files():
        for entry in entries(file):
            carriers.setdefault(entry.link, []).append(entry)
    shared = {link: copies for link, copies in carriers.items() if len(copies) > 1}
    assert list(shared) == [labels()["cross_feed_duplicate"]]
    (copies,) = shared.values()
    assert len(copies) == 2
    assert copies[0].title == copies[1].title


def test_shared_story_is_told_by_two_feeds_in_different_words() -> None:
    first, second = labels()["shared_story"]
    a = by_id(first["file"])[first["guid"]]
    b = by_id(second["file"])[second["guid"]]
    assert first["file"] != second["file"]
    assert a.link != b.link
    assert script(a.title) == script(b.title)
    assert overlap(a.title, b.title) >= SAME_STORY
    assert overlap(plain(a.summary), plain(b.summary)) < DIFFERENT_STORY


def test_no_other_items_in_different_feeds_read_as_one_story() -> None:
    declared = {(s["file"], s["guid"]) for s in labels()["shared_story"]}
    duplicate = labels()["cross_feed_duplicate"]
    items = [
        (file, entry)
        for file in files()
        for entry in entries(file)
        if (file, entry.id) not in declared and entry.link != duplicate
    ]
    for (file_a, a), (file_b, b) in combinations(items, 2):
        if file_a != file_b:
            assert overlap(a.title, b.title) < DIFFERENT_STORY, (a.title, b.title)
