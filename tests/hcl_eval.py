"""Read back the Terraform rafix writes: python-hcl2 parses it, this evaluates the literals.

python-hcl2 checks the syntax and gives the parse tree; this module turns the constant
expressions rafix emits (strings, numbers, bools, null, tuples, objects, ``jsonencode(...)``)
into Python values the way Terraform would, so tests compare them with the plan. Anything else
(an interpolation such as an unescaped ``${aws:username}``, a reference) is an error: rafix never
means to write one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import hcl2
from lark import Token, Tree


class NotConstant(Exception):
    """The HCL holds something other than a constant (an interpolation, a reference)."""


@dataclass
class Block:
    type: str
    labels: list[str]
    attributes: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


def parse(text: str) -> list[Block]:
    """The top-level blocks of an HCL file, attributes evaluated (see the module docstring)."""
    tree = hcl2.parses_to_tree(text)
    body = _child(tree, "body")
    if body is None:
        return []
    return _body(body).blocks


def _child(tree: Tree[Any], name: str) -> Tree[Any] | None:
    for c in tree.children:
        if isinstance(c, Tree) and c.data == name:
            return c
    return None


def _body(body: Tree[Any]) -> Block:
    out = Block("", [])
    for node in body.children:
        if not isinstance(node, Tree):
            continue
        if node.data == "attribute":
            name = _identifier(node.children[0])
            if name in out.attributes:
                raise AssertionError(f"attribute {name} set twice")
            out.attributes[name] = evaluate(node.children[-1])
        elif node.data == "block":
            parts = [c for c in node.children if isinstance(c, Tree)]
            kind = _identifier(parts[0])
            labels = [_string(p) for p in parts[1:] if p.data == "string"]
            inner = _child(node, "body")
            block = _body(inner) if inner is not None else Block("", [])
            block.type, block.labels = kind, labels
            out.blocks.append(block)
    return out


def _identifier(node: Any) -> str:
    if isinstance(node, Tree) and node.data == "identifier":
        return str(node.children[0])
    raise NotConstant(f"expected an identifier, got {node!r}")


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.DOTALL)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole == "$${":
            return "${"
        if whole == "%%{":
            return "%{"
        code = m.group(1)
        if code in _SIMPLE:
            return _SIMPLE[code]
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        raise NotConstant(f"unknown escape \\{code}")

    return _ESCAPE.sub(one, text)


def _string(node: Tree[Any]) -> str:
    parts: list[str] = []
    for c in node.children:
        if isinstance(c, Token):
            continue  # the quotes
        if c.data != "string_part":
            raise NotConstant(f"unexpected {c.data} in a string")
        for piece in c.children:
            if isinstance(piece, Tree):
                raise NotConstant(f"a template sequence ({piece.data}) in a string")
            if "${" in str(piece).replace("$${", "") or "%{" in str(piece).replace("%%{", ""):
                raise NotConstant(f"a template sequence in {piece!r}")
            parts.append(str(piece))
    return _unescape("".join(parts))


def _parts(node: Tree[Any]) -> list[Tree[Any]]:
    """The sub-trees that are not line breaks or comments."""
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def evaluate(node: Any) -> Any:
    """The value of a constant HCL expression (see the module docstring)."""
    if isinstance(node, Token):
        raise NotConstant(f"unexpected token {node!r}")
    kind = node.data
    if kind == "expr_term":
        inner = _parts(node)
        if len(inner) != 1:
            raise NotConstant(f"expression of {len(inner)} parts")
        return evaluate(inner[0])
    if kind == "string":
        return _string(node)
    if kind == "int_lit":
        return int(str(node.children[0]))
    if kind == "float_lit":
        text = str(node.children[0])
        value = float(text)
        return int(value) if value.is_integer() and "." not in text and "e" not in text else value
    if kind == "literal_value":
        return {"true": True, "false": False, "null": None}[str(node.children[0])]
    if kind == "unary_op":
        op = str(node.children[0])
        value = evaluate(node.children[1])
        if op != "-" or isinstance(value, bool) or not isinstance(value, int | float):
            raise NotConstant(f"unary {op} on {value!r}")
        return -value
    if kind == "tuple":
        return [evaluate(c) for c in _parts(node)]
    if kind == "object":
        out: dict[str, Any] = {}
        for elem in node.children:
            if not isinstance(elem, Tree) or elem.data != "object_elem":
                continue
            key_node, value_node = _parts(elem)
            key_expr = _parts(key_node)[0]
            inner = _parts(key_expr)
            key = _identifier(inner[0]) if inner[0].data == "identifier" else evaluate(key_expr)
            if not isinstance(key, str):
                raise NotConstant(f"object key {key!r}")
            if key in out:
                raise AssertionError(f"object key {key!r} twice")
            out[key] = evaluate(value_node)
        return out
    if kind == "function_call":
        name = _identifier(node.children[0])
        args = _child(node, "arguments")
        values = [evaluate(c) for c in _parts(args)] if args else []
        if name == "jsonencode" and len(values) == 1:
            # What Terraform sends: the JSON text; compare the document it decodes to.
            return json.loads(json.dumps(values[0]))
        raise NotConstant(f"function {name}")
    raise NotConstant(f"not a constant: {kind}")
