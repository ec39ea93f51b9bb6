"""Score the tagger on the hand-labelled development set (what `make eval` runs).

    python bench/eval.py [--data-dir data] [--devset tests/eval/devset.jsonl] [--errors N]
                         [--split all|even|odd|tune|heldout|search|check] [--out-of-fold K]
                         [--models-from DIR] [--learning-curve P]

Prints the score table and the first N misclassified items, with the matched
terms behind every wrong label. ``--split even`` scores only items whose id
number is even (the half used for tuning), ``--split odd`` the held-out half.
``--devset tests/eval/realnews`` reads the real-news corpus (every .jsonl file
of the folder); its halves are ``--split tune`` and ``--split heldout`` (a
fixed hash of each article's URL), and its report adds the false alarms per
1,000 ordinary news items. ``--split tune --out-of-fold K`` scores the tuning
half as the held-out half would see it: the learned stages refitted K times,
each without one fold (`tools/out_of_fold.py`), every item tagged by models
that never saw it. ``--split search`` and ``--split check`` are the two
quarters of the tuning half (see `tools.evaluate.split_items`): a lexicon
round reads and judges its changes on ``search`` (out of fold) and scores
its result once on ``check``, which it has not read; their out-of-fold
verdicts come from the same refits over the whole tuning half.
``--models-from DIR`` (with ``--out-of-fold``) fits each fold's models with
the lexicon of DIR (the lexicon before a change) and tags the items with
``--data-dir``'s lexicon under them, then counts the items the change made
better or worse, and lists the first N (``--errors``) whose labels moved,
worse ones first: with the models held fixed only the items whose text the
change touches can move, so a small change is not lost in a refit's noise.
``--split heldout --learning-curve P`` (real news) refits the learned stages
on 1, 2 ... P of P hash parts of the tuning half and scores the held-out half
with each fit, one line per fit: whether more labelled news would still pay.

The exit status is 0 whatever the scores are; it is non-zero only on misuse:
bad arguments, an unreadable or invalid development set, or a lexicon that
does not load.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))

from indicators.models import Tags  # noqa: E402
from tools.evaluate import (  # noqa: E402
    SPLITS,
    DevItem,
    DevsetError,
    compare_verdicts,
    evaluate,
    format_changes,
    format_errors,
    format_report,
    format_summary,
    load_devset,
    split_items,
)

if TYPE_CHECKING:
    from indicators.lexicon import CompiledLexicon

USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=REPO_ROOT / "data",
        help="folder with the lexicon and gazetteer (default: data)",
    )
    parser.add_argument(
        "--devset",
        type=Path,
        default=REPO_ROOT / "tests/eval/devset.jsonl",
        help="development set, JSON lines, or a folder of them (default: tests/eval/devset.jsonl)",
    )
    parser.add_argument(
        "--errors",
        type=int,
        default=20,
        metavar="N",
        help="how many misclassified items to print (default: 20)",
    )
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="score all items; only those with an even (tuning) or odd (held-out) id number; "
        "the tuning or held-out half by URL hash (real news); or the search or check "
        "quarter of the tuning half",
    )
    parser.add_argument(
        "--out-of-fold",
        type=int,
        metavar="K",
        default=0,
        help="with --split tune, search or check: refit the learned stages K times, each "
        "without one fold of the tuning half, and score every item with models that never saw it",
    )
    parser.add_argument(
        "--models-from",
        type=Path,
        metavar="DIR",
        help="with --out-of-fold: fit the fold models with the lexicon of DIR (before a "
        "change), tag with --data-dir's lexicon, and count the items made better or worse",
    )
    parser.add_argument(
        "--learning-curve",
        type=int,
        metavar="P",
        default=0,
        help="with --split heldout (real news): refit the learned stages on 1, 2 ... P of P "
        "parts of the tuning half and score the held-out half with each fit, one line each",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.errors < 0:
        print("eval: --errors must be 0 or more", file=sys.stderr)
        return USAGE_ERROR
    try:
        corpus = load_devset(args.devset)
        items = split_items(corpus, args.split)
    except (OSError, DevsetError) as exc:
        print(f"eval: cannot use the development set: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        from indicators.lexicon import load_compiled
        from indicators.tagger import tag
    except ImportError as exc:
        print(f"eval: the tagger is not available: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        compiled = load_compiled(args.data_dir)
    except (OSError, ValueError) as exc:
        print(f"eval: cannot load the lexicon from {args.data_dir}: {exc}", file=sys.stderr)
        return USAGE_ERROR

    def predict(item: DevItem) -> Tags:
        return tag(item.title, item.summary, compiled, lang=item.lang)

    if args.learning_curve:
        return _learning_curve(args, corpus, items, compiled)
    started = time.perf_counter()
    if args.out_of_fold:
        if args.split not in ("tune", "search", "check"):
            print(
                "eval: --out-of-fold scores the tuning half (--split tune, search or check)",
                file=sys.stderr,
            )
            return USAGE_ERROR
        from tools.out_of_fold import paired_out_of_fold_verdicts

        dev = split_items(load_devset(REPO_ROOT / "tests/eval/devset.jsonl"), "even")
        # the refits use the whole tuning half whichever quarter is scored, so the two
        # quarters' verdicts come from the same models
        tune = split_items(corpus, "tune")
        base, base_dir = compiled, args.data_dir
        try:
            if args.models_from is not None:
                base_dir = args.models_from
                base = load_compiled(base_dir)
            before, verdicts = paired_out_of_fold_verdicts(
                base, base_dir, compiled, tune, dev, args.out_of_fold
            )
        except (OSError, ValueError) as exc:
            print(f"eval: {exc}", file=sys.stderr)
            return USAGE_ERROR

        def predict(item: DevItem) -> Tags:
            return verdicts[item.id]

        print(f"Out of fold: the learned stages refitted {args.out_of_fold} times, "
              "each item tagged by models that never saw it")  # fmt: skip
        if args.models_from is not None:
            moved = compare_verdicts(items, before, verdicts)
            print(f"Models fitted with the lexicon of {args.models_from}; against its verdicts "
                  f"under the same models: {moved.changed} items changed, {moved.better} "
                  f"better, {moved.worse} worse (wrong labels per item)")  # fmt: skip
            if args.errors:
                print(format_changes(items, before, verdicts, args.errors))
    elif args.models_from is not None:
        print("eval: --models-from needs --out-of-fold", file=sys.stderr)
        return USAGE_ERROR

    report = evaluate(items, predict)
    elapsed = time.perf_counter() - started
    version = getattr(compiled, "version", "?")
    print(f"Lexicon {version} from {args.data_dir}; development set {args.devset} ({args.split})")
    learned = [
        name
        for name, model in (
            ("relevance model", getattr(compiled, "relevance_model", None)),
            ("region model", getattr(compiled, "region_model", None)),
            ("category model", getattr(compiled, "category_model", None)),
        )
        if model is not None
    ]
    print(f"Learned stages: {', '.join(learned) if learned else 'none (the rules alone)'}")
    print(f"Tagged {report.n_items} items in {elapsed:.2f} s\n")
    print(format_report(report))
    if args.errors and report.errors:
        print(f"First {min(args.errors, len(report.errors))} of {len(report.errors)} errors:\n")
        print(format_errors(report.errors, args.errors))
    return 0


def _learning_curve(
    args: argparse.Namespace,
    corpus: list[DevItem],
    items: list[DevItem],
    compiled: CompiledLexicon,
) -> int:
    """`--learning-curve P`: the held-out half scored by models fitted on growing parts."""
    if args.split != "heldout" or args.out_of_fold or args.models_from is not None:
        print(
            "eval: --learning-curve scores the held-out half (--split heldout), alone",
            file=sys.stderr,
        )
        return USAGE_ERROR
    if not all(item.url for item in corpus):
        print("eval: --learning-curve needs the real-news corpus (items with a url)",
              file=sys.stderr)  # fmt: skip
        return USAGE_ERROR
    from indicators.tagger import tag
    from tools.out_of_fold import learning_curve

    dev = split_items(load_devset(REPO_ROOT / "tests/eval/devset.jsonl"), "even")
    tune = split_items(corpus, "tune")
    print(f"Lexicon {compiled.version}; the learned stages refitted on parts of the "
          f"{len(tune)}-item tuning half, each fit scored on the {len(items)}-item "
          "held-out half")  # fmt: skip
    try:
        for k, size, fitted in learning_curve(
            compiled, args.data_dir, tune, dev, args.learning_curve
        ):
            report = evaluate(
                items, lambda it, m=fitted: tag(it.title, it.summary, m, lang=it.lang)
            )
            print(f"{k}/{args.learning_curve} ({size} items): {format_summary(report)}",
                  flush=True)  # fmt: skip
    except ValueError as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return USAGE_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
