"""Small AST mutations of an instructor's answer, each a one-line change a student could plausibly make.

The operator names follow the two established Python mutation testers: cosmic-ray
(https://github.com/sixty-north/cosmic-ray: `ReplaceBinaryOperator_Add_Sub`,
`ReplaceComparisonOperator_Lt_LtE`, `NumberReplacer`, `ReplaceTrueWithFalse`, `ReplaceAndWithOr`,
`ReplaceUnaryOperator_USub_Delete`, `ZeroIterationForLoop`) and mutmut
(https://github.com/boxed/mutmut: numbers become n+1, keyword arguments are removed, a return
value is replaced). Nothing of their code is used: they mutate whole modules on disk, while here a
mutant is one notebook cell. The tensor-specific operators (keepdim, dim, transpose, reductions,
detach / no_grad / zero_) are this course's own: they are the mistakes its lessons warn about.

Only code between `### BEGIN SOLUTION` and `### END SOLUTION` is mutated. A mutant's id is
`<operator>:<line>:<column>:<variant>` (line 1-based in the cell, column 0-based), so it stays the
same as long as the answer's source does.
"""

import ast
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass

SOLUTION_BEGIN = re.compile(r"^\s*### BEGIN SOLUTION\s*$")
SOLUTION_END = re.compile(r"^\s*### END SOLUTION\s*$")

BINARY_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Div,), ast.Mod: (ast.FloorDiv,), ast.Pow: (ast.Mult,), ast.MatMult: (ast.Mult,),
}
BINARY_SYMBOLS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.MatMult: "@",
}
COMPARISON_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Lt: (ast.LtE, ast.GtE), ast.LtE: (ast.Lt, ast.Gt), ast.Gt: (ast.GtE, ast.LtE), ast.GtE: (ast.Gt, ast.Lt),
    ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,), ast.NotIn: (ast.In,),
}
REDUCTION_SWAPS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "argmax": "argmin",
                   "argmin": "argmax", "amax": "amin", "amin": "amax", "any": "all", "all": "any",
                   "std": "var", "var": "std"}
DROPPED_CALLS = ("detach", "clone", "zero_", "requires_grad_")
TRANSPOSE_ATTRIBUTES = ("T", "mT", "H")
TRANSPOSE_CALLS = ("t", "transpose", "permute")
# Methods whose first positional argument is a dimension.
DIM_METHODS = ("sum", "mean", "max", "min", "argmax", "argmin", "amax", "amin", "std", "var", "any", "all",
               "softmax", "log_softmax", "logsumexp", "squeeze", "unsqueeze", "cumsum", "norm", "prod")


@dataclass(frozen=True)
class Mutant:
    """One mutated version of a cell: its stable id, what changed, and the whole new source."""

    id: str
    operator: str
    line: int
    diff: str
    source: str


@dataclass(frozen=True)
class _Edit:
    """Replace the text between two (line, column) positions; `expect` maps the old tree to the mutated one."""

    operator: str
    node: ast.AST
    variant: str
    start: tuple[int, int]
    end: tuple[int, int]
    text: str
    expect: Callable[[ast.AST], ast.AST | None]


def solution_lines(source: str) -> set[int]:
    """1-based line numbers that lie inside a solution region of the cell."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if SOLUTION_BEGIN.match(line):
            inside = True
        elif SOLUTION_END.match(line):
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _offset(lines: list[str], position: tuple[int, int]) -> int:
    """Character offset of an AST (line, utf-8 byte column) position in the joined source."""
    line, column = position
    text = lines[line - 1]
    return sum(len(previous) for previous in lines[: line - 1]) + len(text.encode()[:column].decode())


def _start(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset


def _end(node: ast.AST) -> tuple[int, int]:
    return node.end_lineno, node.end_col_offset


def _key(node: ast.AST) -> tuple:
    return type(node).__name__, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset


def _replace_node(tree: ast.AST, key: tuple, build: Callable[[ast.AST], ast.AST | None]) -> ast.AST:
    """A copy of `tree` with the node identified by `key` replaced by `build(node)` (None removes nothing)."""

    class Replace(ast.NodeTransformer):
        def generic_visit(self, node):
            if hasattr(node, "lineno") and _key(node) == key:
                return build(node)
            return super().generic_visit(node)

    return Replace().visit(tree)


def _dump(tree: ast.AST) -> str:
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _gap_operator(source_lines: list[str], left: ast.AST, right_start: tuple[int, int], symbol: str):
    """Position of the operator `symbol` in the text between `left` and `right_start`, or None."""
    begin, stop = _offset(source_lines, _end(left)), _offset(source_lines, right_start)
    gap = "".join(source_lines)[begin:stop]
    escaped = re.escape(symbol)
    pattern = rf"(?<![*/=<>!]){escaped}(?![*/=])" if symbol in {"*", "/"} else escaped
    match = re.search(pattern, gap)
    if match is None:
        return None
    return begin + match.start(), begin + match.end()


def _rebuild(node: ast.AST, **changes) -> ast.AST:
    fields = {name: getattr(node, name) for name in node._fields}
    fields.update(changes)
    new = type(node)(**fields)
    return ast.copy_location(new, node)


class _Collector(ast.NodeVisitor):
    """Walk a cell and propose edits for the nodes that lie inside its solution regions."""

    def __init__(self, source: str, allowed: set[int]):
        self.lines = source.splitlines(keepends=True)
        self.allowed = allowed
        self.edits: list[_Edit] = []
        self.functions: list[ast.FunctionDef] = []
        self.absolute: list[tuple[int, int, _Edit]] = []

    def _inside(self, node: ast.AST) -> bool:
        return all(line in self.allowed for line in range(node.lineno, node.end_lineno + 1))

    def _segment(self, node: ast.AST) -> str:
        return ast.get_source_segment("".join(self.lines), node) or ast.unparse(node)

    def _replace(self, operator: str, node: ast.AST, variant: str, new: ast.AST) -> None:
        """Propose replacing the whole node by `new`."""
        self.edits.append(_Edit(operator, node, variant, _start(node), _end(node), ast.unparse(new),
                                lambda _old, new=new: new))

    def _text(self, operator: str, node: ast.AST, variant: str, span: tuple[int, int], text: str,
              new: ast.AST) -> None:
        """Propose replacing the characters `span` (offsets in the cell) by `text`; the node becomes `new`."""
        edit = _Edit(operator, node, variant, (0, 0), (0, 0), text, lambda _old, new=new: new)
        self.absolute.append((span[0], span[1], edit))

    # --- arithmetic, comparisons, booleans, unary operators ------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if self._inside(node):
            symbol = BINARY_SYMBOLS.get(type(node.op))
            for swap in BINARY_SWAPS.get(type(node.op), ()):
                span = _gap_operator(self.lines, node.left, _start(node.right), symbol)
                if span:
                    self._text("ReplaceBinaryOperator", node, f"{type(node.op).__name__}_{swap.__name__}", span,
                               BINARY_SYMBOLS[swap], _rebuild(node, op=swap()))
            if isinstance(node.op, ast.Add | ast.Sub):
                self._replace("RemoveSumTerm", node, "keep_left", node.left)
                if isinstance(node.op, ast.Add):
                    self._replace("RemoveSumTerm", node, "keep_right", node.right)
            if isinstance(node.op, ast.MatMult):
                for side in ("left", "right"):
                    operand = getattr(node, side)
                    transposed = ast.Attribute(value=operand, attr="T", ctx=ast.Load())
                    self._replace("AddTranspose", node, side, _rebuild(node, **{side: transposed}))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if self._inside(node):
            symbol = BINARY_SYMBOLS.get(type(node.op))
            for swap in BINARY_SWAPS.get(type(node.op), ()):
                span = _gap_operator(self.lines, node.target, _start(node.value), symbol + "=")
                if span:
                    self._text("ReplaceBinaryOperator", node, f"{type(node.op).__name__}_{swap.__name__}", span,
                               BINARY_SYMBOLS[swap] + "=", _rebuild(node, op=swap()))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if self._inside(node):
            for index, op in enumerate(node.ops):
                for swap in COMPARISON_SWAPS.get(type(op), ()):
                    ops = [*node.ops[:index], swap(), *node.ops[index + 1:]]
                    self._replace("ReplaceComparisonOperator", node,
                                  f"{index}_{type(op).__name__}_{swap.__name__}", _rebuild(node, ops=ops))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if self._inside(node):
            swap, name = (ast.Or, "ReplaceAndWithOr") if isinstance(node.op, ast.And) else (ast.And, "ReplaceOrWithAnd")
            self._replace(name, node, "swap", _rebuild(node, op=swap()))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if self._inside(node) and isinstance(node.op, ast.USub | ast.Not | ast.Invert):
            self._replace(f"ReplaceUnaryOperator_{type(node.op).__name__}_Delete", node, "drop", node.operand)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not self._inside(node):
            return
        value = node.value
        if isinstance(value, bool):
            name = "ReplaceTrueWithFalse" if value else "ReplaceFalseWithTrue"
            self._replace(name, node, "flip", ast.Constant(not value))
        elif isinstance(value, int):
            for variant, new in (("plus_one", value + 1), ("zero", 0)):
                if new != value:
                    self._replace("NumberReplacer", node, variant, ast.Constant(new))
        elif isinstance(value, float):
            for variant, new in (("double", value * 2), ("zero", 0.0), ("one", 1.0)):
                if new != value and not (variant == "one" and value != 0.0):
                    self._replace("NumberReplacer", node, variant, ast.Constant(new))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """Messages in f-strings are not mutated."""

    # --- calls: keepdim, dim, reductions, transposes, dropped calls -----------------------------

    def visit_Call(self, node: ast.Call) -> None:
        if self._inside(node):
            for index, keyword in enumerate(node.keywords):
                if keyword.arg in {"keepdim", "dim", "axis"}:
                    kept = node.keywords[:index] + node.keywords[index + 1:]
                    name = "RemoveKeepdim" if keyword.arg == "keepdim" else "RemoveDimArgument"
                    self._replace(name, node, keyword.arg, _rebuild(node, keywords=kept))
            function = node.func
            if isinstance(function, ast.Attribute):
                if function.attr in DIM_METHODS and node.args and isinstance(node.args[0], ast.Constant | ast.UnaryOp):
                    self._replace("RemoveDimArgument", node, "positional", _rebuild(node, args=node.args[1:]))
                if function.attr in DROPPED_CALLS or function.attr in TRANSPOSE_CALLS:
                    name = "RemoveTranspose" if function.attr in TRANSPOSE_CALLS else "RemoveCall"
                    receiver = function.value
                    if not (isinstance(receiver, ast.Name) and receiver.id == "torch"):
                        self._replace(name, node, function.attr, receiver)
                    elif node.args:
                        self._replace(name, node, function.attr, node.args[0])
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self._inside(node):
            if node.attr in REDUCTION_SWAPS:
                swap = REDUCTION_SWAPS[node.attr]
                end = _offset(self.lines, _end(node))
                self._text("ReplaceReduction", node, f"{node.attr}_{swap}", (end - len(node.attr), end), swap,
                           _rebuild(node, attr=swap))
            if node.attr in TRANSPOSE_ATTRIBUTES and isinstance(node.ctx, ast.Load):
                self._replace("RemoveTranspose", node, node.attr, node.value)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if self._inside(node) and node.id in {"max", "min", "sum", "any", "all"} and node.id in REDUCTION_SWAPS:
            swap = REDUCTION_SWAPS[node.id]
            if swap in {"max", "min", "any", "all"}:
                self._replace("ReplaceReduction", node, f"{node.id}_{swap}", ast.Name(swap, ast.Load()))

    # --- statements: no_grad blocks, loops, returns --------------------------------------------

    def visit_With(self, node: ast.With) -> None:
        if self._inside(node) and len(node.items) == 1:
            expression = node.items[0].context_expr
            if isinstance(expression, ast.Call) and ast.unparse(expression.func) in {"torch.no_grad", "no_grad"}:
                begin, stop = _offset(self.lines, _start(node)), _offset(self.lines, _end(expression))
                replacement = ast.If(test=ast.Constant(True), body=node.body, orelse=[])
                self._text("RemoveCall", node, "no_grad", (begin, stop), "if True",
                           ast.copy_location(replacement, node))
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if self._inside(node.iter):
            self._replace("ZeroIterationForLoop", node.iter, "empty", ast.List(elts=[], ctx=ast.Load()))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    def visit_Return(self, node: ast.Return) -> None:
        if self._inside(node) and node.value is not None and self.functions:
            arguments = [a.arg for a in self.functions[-1].args.args if a.arg != "self"]
            for name in arguments:
                if not (isinstance(node.value, ast.Name) and node.value.id == name):
                    self._replace("ReturnArgument", node.value, name, ast.Name(name, ast.Load()))
        self.generic_visit(node)


def _apply(source: str, tree: ast.AST, edit: _Edit, span: tuple[int, int], lines: list[str]) -> str | None:
    """The mutated source if its text edit gives exactly the intended tree, else None."""
    expected_tree = _replace_node(copy.deepcopy(tree), _key(edit.node), edit.expect)
    expected = _dump(expected_tree)
    node_span = (_offset(lines, _start(edit.node)), _offset(lines, _end(edit.node)))
    whole = ast.unparse(edit.expect(edit.node))
    attempts = [(span, edit.text), (span, f"({edit.text})"), (node_span, whole), (node_span, f"({whole})")]
    for (begin, stop), text in attempts:
        candidate = source[:begin] + text + source[stop:]
        try:
            if _dump(ast.parse(candidate)) == expected:
                return candidate
        except SyntaxError:
            continue
    return None


def _one_line_diff(before: str, after: str) -> str:
    """`L<n>: old → new` for the first line that differs."""
    old_lines, new_lines = before.splitlines(), after.splitlines()
    for number, (old, new) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if old != new:
            more = " …" if len(old_lines) != len(new_lines) else ""
            return f"L{number}: `{old.strip()}` → `{new.strip()}`{more}"
    return "no textual change"


def mutants(source: str) -> list[Mutant]:
    """Every distinct mutant of the solution regions of one cell, in source order."""
    allowed = solution_lines(source)
    tree = ast.parse(source)
    collector = _Collector(source, allowed)
    collector.visit(tree)
    lines = collector.lines
    spans = [((_offset(lines, e.start), _offset(lines, e.end)), e) for e in collector.edits]
    spans += [((begin, stop), e) for begin, stop, e in collector.absolute]
    original = _dump(tree)
    seen: set[str] = set()
    found = []
    for span, edit in sorted(spans, key=lambda item: (_start(item[1].node), item[1].operator, item[1].variant)):
        mutated = _apply(source, tree, edit, span, lines)
        if mutated is None:
            continue
        dumped = _dump(ast.parse(mutated))
        if dumped == original or dumped in seen:
            continue
        seen.add(dumped)
        line, column = _start(edit.node)
        found.append(Mutant(f"{edit.operator}:{line}:{column}:{edit.variant}", edit.operator, line,
                            _one_line_diff(source, mutated), mutated))
    return found
