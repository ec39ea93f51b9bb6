"""Commands around the tagger: `tag` (JSON lines filter), `retag`, `lexicon check`."""

from __future__ import annotations

import io
import json
import sys
from typing import Any, TextIO

import click

from indicators.lexicon import LexiconError, check_lexicon
from indicators.lexicon_overlay import locate
from indicators.models import EMPTY_TAGS, Tags
from indicators.places import check_places
from indicators.playbooks import check_playbooks
from threatmon.tagging import LexiconTagging, tagging_for


def tags_to_json(item_id: Any, tags: Tags) -> dict[str, Any]:
    """The output record of `threatmon tag` for one item."""
    return {
        "id": item_id,
        "relevant": tags.relevant,
        "categories": list(tags.categories),
        "regions": list(tags.regions),
        "platforms": list(tags.platforms),
        "actors": list(tags.actors),
        "methods": list(tags.methods),
        "matches": [
            {"axis": m.axis, "id": m.id, "term": m.term, "start": m.start, "end": m.end}
            for m in tags.matches
        ],
    }


# Most news has no lexicon word: its verdict differs from the next one's only by its id,
# so the rest of the record is encoded once (json.dumps of the whole record: ~3 us).
_EMPTY_REST = json.dumps(tags_to_json(None, EMPTY_TAGS), ensure_ascii=False).removeprefix(
    '{"id": null'
)


def verdict_line(item_id: Any, tags: Tags) -> str:
    """One output line of `threatmon tag` (the JSON of `tags_to_json`)."""
    if tags is EMPTY_TAGS:
        return '{"id": ' + json.dumps(item_id, ensure_ascii=False) + _EMPTY_REST + "\n"
    return json.dumps(tags_to_json(item_id, tags), ensure_ascii=False) + "\n"


def rules_record(tags: Tags, rules: Tags) -> dict[str, Any] | None:
    """What the rules alone said, when the learned models changed the verdict (else None)."""
    said = (rules.relevant, rules.categories, rules.regions)
    if said == (tags.relevant, tags.categories, tags.regions):
        return None
    return {"relevant": said[0], "categories": list(said[1]), "regions": list(said[2])}


def tag_stream(
    source: TextIO,
    out: TextIO,
    err: TextIO,
    tagging: LexiconTagging,
    explain: LexiconTagging | None = None,
) -> int:
    """Tag JSON lines from `source`; returns the number of malformed lines.

    A malformed line is reported on `err` with its line number and skipped;
    the rest keep flowing. With `explain` (the rules alone), a verdict the
    learned models changed also carries what the rules said (`"rules"`).
    """
    bad = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("expected a JSON object")
            title = record.get("title", "")
            summary = record.get("summary", "")
            lang = record.get("lang")
            if not isinstance(title, str) or not isinstance(summary, str):
                raise ValueError("title and summary must be strings")
            if lang is not None and not isinstance(lang, str):
                raise ValueError("lang must be a string")
            if not title and not summary:
                raise ValueError("needs a title or a summary")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            bad += 1
            print(f"line {number}: {exc}", file=err)
            continue
        tags = tagging.tag(title, summary, lang)
        before = rules_record(tags, explain.tag(title, summary, lang)) if explain else None
        if before is None:
            out.write(verdict_line(record.get("id"), tags))
        else:
            body = tags_to_json(record.get("id"), tags) | {"rules": before}
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    out.flush()
    return bad


def buffer_output(stream: TextIO, *, line_buffered: bool) -> None:
    """Verdicts go out line by line to a terminal (or with `--line-buffered`), else in blocks.

    With PYTHONUNBUFFERED set (common in container images) every line was its
    own write to the pipe: 50,000 verdicts cost 0.7 s of system calls and
    wake-ups, a sixth of the whole run. A reader of a pipe that wants each
    verdict at once (`tail -f ... | threatmon tag --line-buffered`) asks for it.
    """
    if not isinstance(stream, io.TextIOWrapper):
        return
    if line_buffered or stream.isatty():
        stream.reconfigure(line_buffering=True)
    else:
        stream.reconfigure(line_buffering=False, write_through=False)


def register(cli: click.Group, db_option: Any, settings_of: Any, engine_of: Any) -> None:
    """Attach the tagging commands to the main group."""

    @cli.command("tag")
    @click.option(
        "--line-buffered",
        is_flag=True,
        help="Write each verdict as soon as it is made, also into a pipe or file "
        "(default there: in blocks, much faster).",
    )
    @click.option(
        "--explain",
        is_flag=True,
        help="Add to a verdict the learned models changed what the rules alone said "
        '("rules": relevant, categories, regions).',
    )
    @click.pass_context
    def tag_command(ctx: click.Context, line_buffered: bool, explain: bool) -> None:
        """Tag JSON lines from stdin: {"id", "title", "summary", "lang"} -> one verdict per line."""
        tagging = tagging_for(settings_of(ctx))
        for problem in tagging.rejected:
            click.echo(f"lexicon overlay left out: {problem}", err=True)
        buffer_output(sys.stdout, line_buffered=line_buffered)
        rules = tagging.rules_only() if explain else None
        bad = tag_stream(sys.stdin, sys.stdout, sys.stderr, tagging, rules)
        if bad:
            click.echo(f"{bad} malformed line(s) skipped", err=True)

    @cli.command()
    @db_option
    @click.pass_context
    def retag(ctx: click.Context, db: str | None) -> None:
        """Re-apply the current lexicon to every stored item (resumable)."""
        from indicators.store import read  # the database stack: not for `tag`
        from threatmon.retagging import RetagStopped, retag_stale

        settings = settings_of(ctx, db=db)
        engine = engine_of(settings)
        try:
            tagging = tagging_for(settings, strict=True)
        except LexiconError as exc:
            found = "\n".join(str(p) for p in locate(exc.problems, settings.overlay_path))
            raise click.ClickException(
                f"{found}\nnothing was retagged: fix the file(s) and run `threatmon lexicon check`"
            ) from exc
        todo = read.count_to_retag(engine, tagging.version)
        if not todo:
            click.echo(f"every item is already tagged with lexicon {tagging.version}")
            return
        with click.progressbar(
            length=todo, label=f"retagging with {tagging.version}", file=sys.stderr
        ) as bar:
            try:
                changed = retag_stale(engine, tagging, settings, stale=todo, progress=bar.update)
            except RetagStopped as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"retagged {changed} items with lexicon {tagging.version}")

    @cli.group()
    def lexicon() -> None:
        """Work with the lexicon, gazetteer and rule files under data/."""

    @lexicon.command("check")
    @click.pass_context
    def lexicon_check(ctx: click.Context) -> None:
        """Validate the lexicon, rule, overlay and playbook files: unknown ids, duplicates."""
        settings = settings_of(ctx)
        problems = locate(
            check_lexicon(settings.data_path, settings.overlay_path), settings.overlay_path
        )
        problems += check_playbooks(settings.data_path)
        problems += check_places(settings.data_path)
        errors = 0
        for problem in problems:
            where = f"{problem.file}:{problem.line}" if problem.line else f"{problem.file}"
            click.echo(f"{problem.severity}: {where}: {problem.message}")
            errors += problem.severity == "error"
        if errors:
            raise click.ClickException(f"{errors} error(s) in the data files")
        tagging = tagging_for(settings, strict=True)
        overlay = (
            f" with overlay {settings.overlay_path}" if settings.overlay_path.is_file() else ""
        )
        click.echo(
            f"lexicon {tagging.version}{overlay}: ok, {len(tagging.compiled.actors)} "
            f"organizations ({len(problems)} warning(s))"
        )
