"""`threatmon tag --explain`: what the rules alone said, where the learned models changed it.

The learned models may drop a verdict, a category or a region, or add a
category to a relevant item; an analyst
piping items through the command line sees, on exactly those verdicts, the
rules' own relevance, categories and regions beside the final ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from indicators import category_model as cm
from indicators import relevance_model as rel
from indicators.relevance_model import RelevanceModel

THREATMON = str(Path(sys.executable).parent / "threatmon")
DATA = Path(__file__).resolve().parents[2] / "data"
ITEMS = [
    {"id": 1, "title": "В Шымкенте предотвращен теракт", "lang": "ru"},
    {"id": 2, "title": "В Астане открылся новый парк", "lang": "ru"},
]


def run_tag(data: Path, *args: str) -> list[dict]:
    env = {**os.environ, "THREATMON_DATA_DIR": str(data)}
    lines = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in ITEMS)
    done = subprocess.run(
        [THREATMON, "tag", *args], input=lines, capture_output=True, text=True, env=env, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_verdict_the_models_changed_carries_the_rules_own(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    dropping = RelevanceModel(18, -20.0, {}, 0.5, 1.01, 0.0, {}, 0.0, {})  # drops every verdict
    (data / rel.MODEL_FILE).write_text(rel.model_to_json(dropping), encoding="utf-8")
    dropped, unchanged = run_tag(data, "--explain")
    assert dropped["relevant"] is False and dropped["categories"] == []
    assert dropped["rules"] == {
        "relevant": True,
        "categories": ["terrorist_activity"],
        "regions": ["KZ-79"],
    }
    assert "rules" not in unchanged  # nothing to explain: the rules say the same
    assert all("rules" not in v for v in run_tag(data))  # only when asked


def test_a_category_the_model_added_shows_beside_the_rules_and_its_words(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    pushes = {"предот": (2.0,)}  # "предотвращен" pushes counter_measures
    adding = cm.CategoryModel({"counter_measures": 9.0}, pushes, {}, 0.5, ("counter_measures",), {})
    (data / cm.MODEL_FILE).write_text(cm.model_to_json(adding), encoding="utf-8")
    added, unchanged = run_tag(data, "--explain")
    assert added["categories"] == ["terrorist_activity", "counter_measures"]
    assert added["rules"]["categories"] == ["terrorist_activity"]
    evidence = [m for m in added["matches"] if m["id"] == "counter_measures"]
    assert [m["term"] for m in evidence] == ["предотвращен"]
    assert "rules" not in unchanged  # not relevant: nothing to add to
