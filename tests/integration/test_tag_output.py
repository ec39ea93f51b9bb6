"""How `threatmon tag` writes: in blocks into pipes, line by line when a reader needs it.

Container images often set PYTHONUNBUFFERED, which made every verdict its own
write to the pipe (a sixth of the run time). Blocks are the default into a
pipe or file; a terminal, or `--line-buffered`, gets each verdict at once, so
`tail -f items.jsonl | threatmon tag --line-buffered | ...` keeps flowing.
"""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path

from threatmon.tagging_cli import buffer_output

THREATMON = str(Path(sys.executable).parent / "threatmon")
ITEM = json.dumps({"id": 7, "title": "В Шымкенте предотвращен теракт"}, ensure_ascii=False)


def _unbuffered_pipe() -> tuple[int, io.TextIOWrapper]:
    """A text stream over a pipe as PYTHONUNBUFFERED sets up stdout: every write goes through."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    raw = io.FileIO(write_end, "w")
    return read_end, io.TextIOWrapper(raw, encoding="utf-8", write_through=True)


def _pending(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return b""


def test_into_a_pipe_verdicts_are_written_in_blocks() -> None:
    read_end, stream = _unbuffered_pipe()
    buffer_output(stream, line_buffered=False)
    stream.write('{"id": 1}\n')
    assert _pending(read_end) == b""  # held in the block
    stream.flush()
    assert _pending(read_end) == b'{"id": 1}\n'
    stream.close()
    os.close(read_end)


def test_line_buffered_writes_each_verdict_at_once() -> None:
    read_end, stream = _unbuffered_pipe()
    buffer_output(stream, line_buffered=True)
    stream.write('{"id": 1}\n')
    assert _pending(read_end) == b'{"id": 1}\n'
    stream.close()
    os.close(read_end)


def test_a_reader_of_line_buffered_output_gets_a_verdict_before_the_input_ends() -> None:
    """A real process fed one line and left open answers that line at once."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [THREATMON, "tag", "--line-buffered"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(ITEM.encode() + b"\n")
        process.stdin.flush()  # stdin stays open: the stream has not ended
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "no verdict within 60 s while the input was still open"
        verdict = json.loads(process.stdout.readline())
        assert (verdict["id"], verdict["categories"]) == (7, ["terrorist_activity"])
        process.stdin.close()
        assert process.wait(timeout=60) == 0


def test_into_a_pipe_every_verdict_arrives_when_the_input_ends() -> None:
    lines = "\n".join(ITEM.replace('"id": 7', f'"id": {n}') for n in range(300)) + "\n"
    done = subprocess.run(
        [THREATMON, "tag"],
        input=lines,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == list(range(300))


def test_the_shortcut_for_items_without_a_lexicon_word_writes_the_same_json() -> None:
    """`verdict_line` encodes an empty verdict from a prepared tail; it must equal the full one."""
    from indicators.models import EMPTY_TAGS, Tags
    from threatmon.tagging_cli import tags_to_json, verdict_line

    for item_id in (1, "b", None, 'шымкент "7"', 3.5, [1, 2], {"k": "v"}):
        full = json.dumps(tags_to_json(item_id, EMPTY_TAGS), ensure_ascii=False) + "\n"
        assert verdict_line(item_id, EMPTY_TAGS) == full
        assert verdict_line(item_id, Tags(relevant=False)) == full  # an equal, other object
        assert json.loads(full)["id"] == item_id
