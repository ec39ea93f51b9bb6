"""How well a second annotator agrees with the real-news corpus, beside the tagger.

    python bench/agreement.py [--second tests/eval/agreement/second.jsonl]
    python bench/agreement.py --blind OUT.jsonl [--topic 360] [--ordinary 40]

`--blind` writes the fixed sample (`tools.agreement.draw_sample`) without its
labels or URLs, leaving out the items the second file labels already: what a
second annotator labels next, following `tests/eval/GUIDELINES.md` and
nothing else (append the new labels to the second file). Without it, the second labels are
scored against the corpus labels with the tagger's metrics, and the tagger is
scored on the same items, overall and per half of the corpus (tuning: the
lexicon and models were fitted there; held-out: never). Where the people
agree less than a target asks of the tagger, that target is above what the
labels can measure.

Exit status 0 whatever the scores; 2 on misuse (unreadable or invalid files).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))

from tools.agreement import as_tags, draw_sample, read_second, side_by_side, write_blind  # noqa: E402
from tools.evaluate import DevsetError, evaluate, load_devset, split_items  # noqa: E402

USAGE_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "tests/eval/realnews")
    parser.add_argument(
        "--second", type=Path, default=REPO_ROOT / "tests/eval/agreement/second.jsonl"
    )
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "data")
    parser.add_argument("--blind", type=Path, help="write the unlabelled sample here and stop")
    parser.add_argument("--topic", type=int, default=360)
    parser.add_argument("--ordinary", type=int, default=40)
    args = parser.parse_args(argv)
    try:
        items = load_devset(args.corpus)
        corpus = {item.id: item for item in items}
        labelled = read_second(args.second, corpus) if args.second.exists() else []
        second = {labels.id: labels for labels in labelled}
        if args.blind:
            # Only what is not labelled yet: a larger sample extends the study.
            sample = draw_sample(items, args.topic, args.ordinary)
            write_blind([item for item in sample if item.id not in second], args.blind)
            return 0
        if not second:
            print(f"agreement: no second labels in {args.second}", file=sys.stderr)
            return USAGE_ERROR
    except (OSError, DevsetError) as exc:
        print(f"agreement: {exc}", file=sys.stderr)
        return USAGE_ERROR
    from indicators.lexicon import load_compiled
    from indicators.tagger import tag

    compiled = load_compiled(args.data_dir)
    labelled = [corpus[item_id] for item_id in second]
    print(
        f"Second annotator: {len(labelled)} items of the real-news corpus "
        f"({sum(it.sample == 'topic' for it in labelled)} topic, "
        f"{sum(it.sample == 'ordinary' for it in labelled)} ordinary), labelled blind from "
        f"headline and lead; lexicon {compiled.version}\n"
    )
    for split in ("all", "tune", "heldout"):
        part = split_items(labelled, split)
        reports = {
            "second annotator": evaluate(part, lambda it: as_tags(second[it.id])),
            "tagger": evaluate(part, lambda it: tag(it.title, it.summary, compiled, it.lang)),
        }
        name = {"all": "every item", "tune": "tuning half", "heldout": "held-out half"}[split]
        print(f"--- {name}: {len(part)} items")
        print(side_by_side(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
