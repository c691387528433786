"""Reading YAML that a person or a partner wrote: bounded, without aliases, with positions.

Every YAML input of the project (``data/metadata.yaml``, the submission profiles, the figures'
declarations) is read here, so that one rule holds for all of them:

- the bytes are UTF-8 (a file saved by Excel or Notepad as Shift_JIS/CP932 is refused with the
  line and column of the first byte that is not UTF-8) and at most ``max_bytes`` long;
- anchors and aliases are refused where they stand (an alias chain expands exponentially: nine
  levels exhaust memory), and so is nesting deeper than ``max_depth`` or more than ``max_nodes``
  values (a 5,000-deep list would otherwise end in a RecursionError);
- the result keeps the position of every key and value, so that a schema error found later (for
  instance by pydantic, whose ``loc`` is a path of keys and indexes) is reported at its line and
  column.
"""

from __future__ import annotations

import copy
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from regenpolicy.data.limits import YAML_MAX_BYTES as MAX_BYTES
from regenpolicy.data.limits import YAML_MAX_DEPTH as MAX_DEPTH
from regenpolicy.data.limits import YAML_MAX_NODES as MAX_NODES

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlProblem:
    """A problem in a YAML file: 1-based line and column where the file allows."""

    message: str
    line: int | None = None
    column: int | None = None


class YamlError(Exception):
    """The file cannot be read as bounded, alias-free YAML."""

    def __init__(self, problem: YamlProblem):
        self.problem = problem
        where = f"line {problem.line}, column {problem.column}: " if problem.line is not None else ""
        super().__init__(where + problem.message)


@dataclass(frozen=True)
class YamlDocument:
    """A YAML document's value and where each of its parts stands in the file."""

    value: Any
    positions: dict[Loc, tuple[int, int]] = field(default_factory=dict, repr=False)

    def position(self, loc: Iterable[str | int]) -> tuple[int, int] | None:
        """Line and column (1-based) of the deepest part of ``loc`` that the file spells out.

        A path into a mapping may name a key that the file leaves out (a missing field): the
        position is then that of the mapping that should hold it.
        """
        path = tuple(loc)
        for end in range(len(path), -1, -1):
            found = self.positions.get(_normal(path[:end]))
            if found is not None:
                return found
        return None


def _normal(loc: Sequence[str | int]) -> Loc:
    return tuple(str(part) if not isinstance(part, int) else part for part in loc)


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise YamlError(YamlProblem(
            "not UTF-8 text (was it saved as Shift_JIS/CP932? save it as UTF-8)", line, column)) from None


def _mark(mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return int(mark.line) + 1, int(mark.column) + 1


def _check_events(text: str, max_depth: int, max_nodes: int) -> None:
    """Refuse aliases, anchors, deep nesting and too many values before anything is built."""
    depth = nodes = 0
    loader = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise YamlError(YamlProblem(
                    f"YAML aliases (*{event.anchor}) are not accepted: write the value out", *_mark(event.start_mark)))
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                raise YamlError(YamlProblem(
                    f"YAML anchors (&{anchor}) are not accepted: write the value out", *_mark(getattr(event, "start_mark", None))))
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > max_depth:
                    raise YamlError(YamlProblem(
                        f"nested more than {max_depth} levels deep", *_mark(event.start_mark)))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                nodes += 1
                if nodes > max_nodes:
                    raise YamlError(YamlProblem(
                        f"more than {max_nodes:,} values: larger than any declaration this project reads",
                        *_mark(event.start_mark)))
    except yaml.MarkedYAMLError as exc:
        what = " ".join(str(exc.problem or exc).split())
        context = f" ({exc.context})" if exc.context else ""
        raise YamlError(YamlProblem(f"not valid YAML: {what}{context}", *_mark(exc.problem_mark))) from None
    except yaml.YAMLError as exc:
        raise YamlError(YamlProblem(f"not valid YAML: {' '.join(str(exc).split())}")) from None
    finally:
        loader.dispose()


def _positions(root: yaml.Node) -> dict[Loc, tuple[int, int]]:
    out: dict[Loc, tuple[int, int]] = {}
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                out[sub] = (value.start_mark.line + 1, value.start_mark.column + 1)
                stack.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, (*path, i)))
    return out


# Documents already parsed in this process (by their bytes and bounds), as the tables are: each caller
# gets its own copy of the value.
_PARSED: OrderedDict[tuple[bytes, int, int, int], YamlDocument] = OrderedDict()
PARSED_MAX_ENTRIES = 128


def load_yaml(data: bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
              max_nodes: int = MAX_NODES) -> YamlDocument:
    """Parse one YAML document from ``data``; raise :class:`YamlError` with its line and column.

    The same bytes give the same document, so a parsed one is remembered (``_PARSED``)."""
    key = (hashlib.sha256(data).digest(), max_bytes, max_depth, max_nodes)
    hit = _PARSED.get(key)
    if hit is None:
        hit = _parse(data, max_bytes, max_depth, max_nodes)
        _PARSED[key] = hit
        while len(_PARSED) > PARSED_MAX_ENTRIES:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(key)
    return YamlDocument(copy.deepcopy(hit.value), dict(hit.positions))


def _parse(data: bytes, max_bytes: int, max_depth: int, max_nodes: int) -> YamlDocument:
    if len(data) > max_bytes:
        raise YamlError(YamlProblem(f"{len(data):,} bytes: larger than the {max_bytes:,} bytes accepted"))
    text = _utf8(data)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise YamlError(YamlProblem("contains a NUL character: not a text file", line, None))
    _check_events(text, max_depth, max_nodes)
    loader = yaml.CSafeLoader(text) if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {})
        value = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        what = " ".join(str(exc.problem or exc).split())
        raise YamlError(YamlProblem(f"not valid YAML: {what}", *_mark(exc.problem_mark))) from None
    except yaml.YAMLError as exc:
        raise YamlError(YamlProblem(f"not valid YAML: {' '.join(str(exc).split())}")) from None
    finally:
        loader.dispose()
    return YamlDocument(value, _positions(node))


__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "Loc", "YamlDocument", "YamlError", "YamlProblem", "load_yaml"]
