"""Diffs of resource states: a semantic summary (DeepDiff) and a unified text diff.

The semantic diff first normalises what IAM treats as equal (one value or a list, the order of
values, the case of condition keys), so a reviewer reads what a change means, e.g.
``adds condition aws:PrincipalTag/x509Subject/CN = pipeline.prod (StringEquals) to statement 1``,
not how the JSON moved. The CLI and the TUI show the same :class:`Diff` objects.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from remediations.iam.policy import as_list, canonical_json
from remediations.jsontext import json_native
from remediations.shortcuts import shortcuts_on

_ABSENT = "<absent>"
_POLICY_FIELDS = ("trustPolicy", "sessionPolicy")


@dataclass(frozen=True, slots=True)
class Diff:
    """Both views of one change."""

    semantic: list[str]
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"semantic": list(self.semantic), "text": self.text}


def diff(before: Any, after: Any) -> Diff:
    return Diff(semantic_diff(before, after), text_diff(before, after))


def text_diff(before: Any, after: Any) -> str:
    """Unified diff of the canonical JSON (sorted keys, two-space indent)."""
    lines = difflib.unified_diff(
        canonical_json(before).splitlines(keepends=True),
        canonical_json(after).splitlines(keepends=True),
        fromfile="before",
        tofile="after",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def semantic_diff(before: Any, after: Any, *, prune: bool | None = None) -> list[str]:
    """Readable lines, one per meaningful difference, in a stable order.

    ``prune``: hand DeepDiff only the parts that differ (:func:`prune_equal`; by default unless
    in ``shortcuts.plain_paths()``); the lines are the same either way, DeepDiff's walk over
    the equal parts is most of a plan's diff time.
    """
    if before is None and after is not None:
        return _lifecycle_lines("creates", after)
    if after is None and before is not None:
        return _lifecycle_lines("deletes", before)
    names: dict[str, str] = {}
    left = _normalize_state(before, names)
    right = _normalize_state(after, names)
    prefix: list[Any] = []
    if shortcuts_on() if prune is None else prune:
        left, right = prune_equal(left, right)
        prefix, left, right = _common_path(left, right)
        if _value_sets(left, right):
            return _value_set_lines(prefix, left, right, names)
        # The lines depend only on these: a pair met before reads as it read then, and so does
        # a pair that differs from it only in the text of its values (see _abstract_values).
        if all(json_native(part, int_keys=True) for part in (prefix, left, right)):
            tokens: dict[str, str] = {}
            abstract = None
            if not any(_TOKEN_CHARS.search(str(p)) for p in prefix):
                abstract = _abstract_values([left, right, names], tokens)
            shared = (left, right, names) if abstract is None else abstract
            key = repr((prefix, shared[0], shared[1], sorted(shared[2].items())))
            known = _LINES.get(key)
            if known is None:
                if len(_LINES) >= 4096:
                    _LINES.clear()
                known = _LINES[key] = tuple(_semantic_lines(prefix, *shared))
            if abstract is None:
                return list(known)
            texts = {token: text for text, token in tokens.items()}
            lines = [_TOKENS.sub(lambda m: _text_of(m, texts), line) for line in known]
            # A line that shows a value neither as is nor quoted as JSON (an odd value written
            # as a Python list) still holds its placeholder: this pair is read from its texts.
            if not any(_TOKEN_CHARS.search(line) or "\\ue00" in line for line in lines):
                return lines
    return _semantic_lines(prefix, left, right, names)


def _value_sets(left: Any, right: Any) -> bool:
    """Both sides are sets of values as normalised (``{value: True}``: role ARNs, managed
    policy ARNs, actions, resources, principals), with keys DeepDiff writes plainly in its
    paths (``root['key']``: no single quote)."""
    return (
        type(left) is dict
        and type(right) is dict
        and all(
            v is True and type(k) is str and "'" not in k
            for side in (left, right)
            for k, v in side.items()
        )
    )


def _value_set_lines(
    prefix: list[Any], left: dict[str, Any], right: dict[str, Any], names: dict[str, str]
) -> list[str]:
    """The lines of two value sets, without DeepDiff: what it reports for them (each value
    removed, then each added, in the order of their paths ``root['value']``), described as
    :func:`_semantic_lines` describes it."""
    lines: list[str] = []
    for value in sorted((k for k in left if k not in right), key=_path_order):
        lines.extend(_describe([*prefix, value], True, None, names))
    for value in sorted((k for k in right if k not in left), key=_path_order):
        lines.extend(_describe([*prefix, value], None, True, names))
    return lines


def _path_order(key: str) -> str:
    """The part of DeepDiff's path text (``root['key']``) that orders keys of one dict."""
    return key + "']"


def _semantic_lines(prefix: list[Any], left: Any, right: Any, names: dict[str, str]) -> list[str]:
    """The lines of what DeepDiff finds between ``left`` and ``right`` (below ``prefix``)."""
    # Imported here: deepdiff (and asyncio, which it pulls in) is a tenth of a second of
    # start-up that a scan, which never diffs, should not pay.
    from deepdiff import DeepDiff

    tree = DeepDiff(left, right, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    lines: list[str] = []
    for kind in (
        "dictionary_item_removed",
        "iterable_item_removed",
        "dictionary_item_added",
        "iterable_item_added",
        "values_changed",
        "type_changes",
    ):
        for level in sorted(tree.get(kind, []), key=lambda lv: str(lv.path())):
            path = prefix + level.path(output_format="list")
            old = None if kind.endswith("_added") else level.t1
            new = None if kind.endswith("_removed") else level.t2
            lines.extend(_describe(path, old, new, names))
    return lines


#: Lines of the differing parts met before, their values as placeholders (bounded: cleared
#: when full).
_LINES: dict[str, tuple[str, ...]] = {}
#: A placeholder for a value's text: private-use characters around its number and a control
#: character, which JSON escapes: a line that quotes the value as JSON shows the escape, and
#: gets the text back escaped as JSON would have written it.
_TOKENS = re.compile("\ue000([0-9]+)(\x01|\\\\u0001)\ue001")
#: The characters placeholders are marked with.
_TOKEN_CHARS = re.compile("[\ue000\ue001]")


def _text_of(match: re.Match[str], texts: dict[str, str]) -> str:
    """The text a placeholder stands for, as the line writes it: as is, or JSON-escaped."""
    text = texts[f"\ue000{match.group(1)}\x01\ue001"]
    return text if match.group(2) == "\x01" else json.dumps(text, ensure_ascii=False)[1:-1]


def _abstract_values(tree: Any, tokens: dict[str, str]) -> Any:
    """The tree with the text of its string values (not dict keys) replaced by placeholders,
    one per distinct text (``tokens``: text -> placeholder), or None when a string or a key
    holds a placeholder's characters.

    The lines read values only as text to show (as is, or quoted as JSON), and compare them
    only for equality (DeepDiff compares them so, and so does the pruning): one placeholder
    per text keeps every equality, so the lines of the placeholders, with the texts put back,
    are the lines of the texts. Kept as they are: empty texts (their truth is read),
    "true"/"false" in any case (a Null condition's is read) and the absent Version's mark.
    """
    kind = type(tree)
    if kind is str:
        if _TOKEN_CHARS.search(tree):
            return _NOT
        if not tree or tree == _ABSENT or tree.lower() in ("true", "false"):
            return tree
        found = tokens.get(tree)
        if found is None:
            found = tokens[tree] = f"\ue000{len(tokens)}\x01\ue001"
        return found
    if kind is dict:
        out = {}
        for k, v in tree.items():
            if type(k) is str and _TOKEN_CHARS.search(k):
                return None
            value = _abstract_values(v, tokens)
            if value is None or value is _NOT:
                return None
            out[k] = value
        return out
    if kind is list or kind is tuple:
        items = []
        for v in tree:
            value = _abstract_values(v, tokens)
            if value is None or value is _NOT:
                return None
            items.append(value)
        return items if kind is list else tuple(items)
    return tree


#: What :func:`_abstract_values` gives a string holding a placeholder's characters.
_NOT = object()


def prune_equal(left: Any, right: Any) -> tuple[Any, Any]:
    """Both trees without the parts DeepDiff would find equal, with every path kept.

    A key both dicts hold with the same value (same types all the way down: DeepDiff reports
    1 -> 1.0 and True -> 1) is dropped from both. In two lists of dicts (paired by index, as
    DeepDiff pairs them without ``ignore_order``), an element equal to its pair becomes
    ``None`` on both sides (equal, so never reported; the list stays a list of non-basic
    values, so DeepDiff takes the same pairwise path). Everything else is kept as it is.
    """
    if type(left) is dict and type(right) is dict:
        pruned = {
            key: prune_equal(value, right[key])
            for key, value in left.items()
            if key in right and not _same(value, right[key])
        }
        kept_left = {
            k: pruned[k][0] if k in pruned else v
            for k, v in left.items()
            if k in pruned or k not in right
        }
        kept_right = {
            k: pruned[k][1] if k in pruned else v
            for k, v in right.items()
            if k in pruned or k not in left
        }
        return kept_left, kept_right
    if (
        type(left) is list
        and type(right) is list
        and all(type(v) is dict for v in left)
        and all(type(v) is dict for v in right)
    ):
        out_left, out_right = list(left), list(right)
        for index in range(min(len(left), len(right))):
            if _same(left[index], right[index]):
                out_left[index] = out_right[index] = None
            else:
                out_left[index], out_right[index] = prune_equal(left[index], right[index])
        return out_left, out_right
    return left, right


def _common_path(left: Any, right: Any) -> tuple[list[Any], Any, Any]:
    """Where every difference of two pruned trees lies: the path down which each level has one
    child left to compare, and the two subtrees there (DeepDiff then walks only those, and
    its paths are the same with the prefix put back)."""
    prefix: list[Any] = []
    while True:
        if (
            type(left) is dict
            and type(right) is dict
            and len(left) == 1
            and left.keys() == right.keys()
        ):
            key = next(iter(left))
            below = left[key], right[key]
        elif type(left) is list and type(right) is list and len(left) == len(right):
            pairs = [i for i, p in enumerate(zip(left, right, strict=True)) if p != (None, None)]
            if len(pairs) != 1:
                break
            key = pairs[0]
            below = left[key], right[key]
        else:
            break
        if not (type(below[0]) is type(below[1]) and type(below[0]) in (dict, list)):
            break
        prefix.append(key)
        left, right = below
    return prefix, left, right


def _same(left: Any, right: Any) -> bool:
    """Equal, and of the same type at every level (what DeepDiff reports no difference for)."""
    if type(left) is not type(right):
        return False
    if type(left) is dict:
        return left.keys() == right.keys() and all(_same(v, right[k]) for k, v in left.items())
    if type(left) is list or type(left) is tuple:
        return len(left) == len(right) and all(map(_same, left, right))
    return bool(left == right)


# --- normalisation -----------------------------------------------------------------------------


def _normalize_state(state: Any, names: dict[str, str]) -> Any:
    if not isinstance(state, dict):
        return state
    out: dict[str, Any] = {}
    for key, value in state.items():
        if key in _POLICY_FIELDS and isinstance(value, dict):
            out[key] = normalize_policy(value, names)
        elif key in ("roleArns", "managedPolicyArns") and isinstance(value, list):
            out[key] = {str(v): True for v in value}
        elif key == "attributeMappings" and isinstance(value, list):
            out[key] = {
                str(m.get("certificateField")): {
                    str(r.get("specifier")): True for r in m.get("mappingRules") or []
                }
                for m in value
                if isinstance(m, dict)
            }
        elif key == "notificationSettings" and isinstance(value, list):
            out[key] = {
                f"{s.get('event')}/{s.get('channel', 'ALL')}": {
                    k: v for k, v in s.items() if k not in ("event", "channel")
                }
                for s in value
                if isinstance(s, dict)
            }
        else:
            out[key] = value
    return out


def normalize_policy(doc: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
    """A policy in a form where IAM-equal documents compare equal.

    Lists of values become sorted, one value equals a one-element list, and condition keys are
    lower-cased (their spelling is kept in ``names`` for messages).
    """
    names = {} if names is None else names
    statements = as_list(doc.get("Statement"))
    for index, statement in enumerate(statements):
        if isinstance(statement, dict) and statement.get("Sid"):
            names.setdefault(f"#sid{index}", str(statement["Sid"]))
    return {
        "Version": doc.get("Version", _ABSENT),
        "Statement": [
            _normalize_statement(s, names) if isinstance(s, dict) else s for s in statements
        ],
        **{k: v for k, v in doc.items() if k not in ("Version", "Statement")},
    }


def _value_set(value: Any) -> dict[str, bool]:
    return {json.dumps(v) if not isinstance(v, str) else v: True for v in as_list(value)}


def _normalize_statement(statement: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"Sid": statement.get("Sid", ""), "Effect": statement.get("Effect")}
    for field in ("Action", "NotAction", "Resource", "NotResource"):
        if field in statement:
            out[field] = _value_set(statement[field])
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        out["Principal"] = {
            f"{kind}:{value}": True
            for kind, values in principal.items()
            for value in as_list(values)
        }
    elif principal is not None:
        out["Principal"] = {str(principal): True}
    conditions: dict[str, Any] = {}
    raw = statement.get("Condition")
    if isinstance(raw, dict):
        for operator, block in raw.items():
            if not isinstance(block, dict):
                conditions[str(operator)] = block
                continue
            for key, value in block.items():
                lower = str(key).lower()
                names.setdefault(lower, str(key))
                values = sorted(str(v) for v in as_list(value))
                shown = values[0] if len(values) == 1 else json.dumps(values, ensure_ascii=False)
                conditions[f"{operator}\t{lower}"] = shown
    out["Condition"] = conditions
    for key, value in statement.items():
        if key not in out and key not in ("Condition",):
            out[key] = value
    return out


def _lifecycle_lines(verb: str, state: Any) -> list[str]:
    """What a created (or deleted) role carries, one line per part."""
    if not isinstance(state, dict):
        return [f"{verb} the resource"]
    if "roleArns" in state:  # a profile (onboarding creates one; its rollback deletes it)
        return _profile_lifecycle_lines(verb, state)
    trust = state.get("trustPolicy")
    statements = len(as_list(trust.get("Statement"))) if isinstance(trust, dict) else 0
    lines = [f"{verb} the role (trust policy of {statements} statement(s))"]
    spec = state.get("create")
    if not isinstance(spec, dict):
        return lines
    lines += [f"with managed policy {arn}" for arn in spec.get("managedPolicyArns") or []]
    lines += [f"with inline policy {name}" for name in sorted(spec.get("inlinePolicies") or {})]
    if spec.get("permissionsBoundary"):
        lines.append(f"with permissions boundary {spec['permissionsBoundary']}")
    lines.append(f"with path {spec.get('path', '/')}")
    lines.append(f"with max session duration {spec.get('maxSessionDuration')} s")
    tags = spec.get("tags") or {}
    lines += [f"with tag {key}={value}" for key, value in sorted(tags.items())]
    return lines


def _profile_lifecycle_lines(verb: str, state: dict[str, Any]) -> list[str]:
    lines = [f"{verb} the profile ({'enabled' if state.get('enabled') else 'disabled'})"]
    lines += [f"listing role {arn}" for arn in state.get("roleArns") or []]
    lines += [f"with managed session policy {arn}" for arn in state.get("managedPolicyArns") or []]
    policy = state.get("sessionPolicy")
    if isinstance(policy, dict):
        sids = [
            str(s.get("Sid", "")) for s in as_list(policy.get("Statement")) if isinstance(s, dict)
        ]
        lines.append(f"with session policy ({', '.join(s for s in sids if s) or 'no Sids'})")
    lines.append(f"with session duration {state.get('durationSeconds')} s")
    lines.append(
        f"with acceptRoleSessionName {str(bool(state.get('acceptRoleSessionName'))).lower()}"
    )
    for mapping in state.get("attributeMappings") or []:
        specs = ", ".join(str(r.get("specifier")) for r in mapping.get("mappingRules") or [])
        lines.append(f"mapping {mapping.get('certificateField')}: {specs}")
    return lines


# --- describing one difference -----------------------------------------------------------------


def _short(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _describe(path: list[Any], old: Any, new: Any, names: dict[str, str]) -> list[str]:
    if path and path[0] in _POLICY_FIELDS:
        prefix = "" if path[0] == "trustPolicy" else "session policy: "
        return [prefix + line for line in _describe_policy(path[1:], old, new, names)]
    if len(path) == 2 and path[0] in ("roleArns", "managedPolicyArns"):
        return [f"{'adds' if new else 'removes'} {path[1]} {'to' if new else 'from'} {path[0]}"]
    if len(path) == 3 and path[0] == "attributeMappings":
        verb = "maps" if new else "stops mapping"
        return [f"{verb} {path[1]} specifier {path[2]}"]
    if len(path) == 2 and path[0] == "attributeMappings":
        specs = ", ".join(sorted((new or old or {}).keys()))
        return [f"{'maps' if new else 'stops mapping'} {path[1]} ({specs})"]
    if path and path[0] == "notificationSettings":
        what = " ".join(str(p) for p in path[1:])
        return [_set_line(f"notification {what}", old, new)]
    return [_set_line(".".join(str(p) for p in path), old, new)]


def _set_line(what: str, old: Any, new: Any) -> str:
    if old is None:
        return f"sets {what} to {_short(new)}"
    if new is None:
        return f"removes {what} (was {_short(old)})"
    return f"sets {what} {_short(old)} -> {_short(new)}"


def _describe_policy(path: list[Any], old: Any, new: Any, names: dict[str, str]) -> list[str]:
    if path == ["Version"]:
        return [
            _set_line("Version", None if old == _ABSENT else old, None if new == _ABSENT else new)
        ]
    if not path:
        if isinstance(new, dict) and not old:
            return [f"adds a policy with {len(new.get('Statement') or [])} statement(s)"]
        return [f"removes the policy ({len((old or {}).get('Statement') or [])} statement(s))"]
    if path[0] != "Statement" or len(path) < 2:
        return [_set_line(".".join(str(p) for p in path), old, new)]
    index = int(path[1])
    sid = names.get(f"#sid{index}")
    label = f"statement {index + 1}" + (f" (Sid {sid})" if sid else "")
    if len(path) == 2:
        item = new if new is not None else old
        sid = item.get("Sid") if isinstance(item, dict) else ""
        effect = item.get("Effect") if isinstance(item, dict) else ""
        detail = ", ".join(x for x in (f"Sid {sid}" if sid else "", str(effect or "")) if x)
        return [f"{'adds' if new is not None else 'removes'} statement {index + 1} ({detail})"]
    field = path[2]
    if field == "Condition" and len(path) == 4:
        operator, _, lower = str(path[3]).partition("\t")
        key = names.get(lower, lower)
        if old is None and operator.lower() == "null" and str(new).lower() == "false":
            return [f"requires {key} to be present (Null false) in {label}"]
        if old is None:
            return [f"adds condition {key} = {_short(new)} ({operator}) to {label}"]
        if new is None:
            return [f"removes {key} condition ({operator} {_short(old)}) from {label}"]
        return [f"changes condition {key} ({operator}) in {label}: {_short(old)} -> {_short(new)}"]
    if field in ("Action", "NotAction", "Resource", "NotResource", "Principal") and len(path) == 4:
        noun = {"NotAction": "NotAction entry", "NotResource": "NotResource entry"}.get(
            field, field.lower()
        )
        verb, prep = ("adds", "to") if new is not None else ("removes", "from")
        return [f"{verb} {noun} {path[3]} {prep} {label}"]
    return [_set_line(f"{'.'.join(str(p) for p in path[2:])} of {label}", old, new)]
