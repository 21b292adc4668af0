"""Mutants of an answer: only solution regions change, each mutant is one small edit, ids are stable."""

import ast

from autograder.mutation.operators import mutants, solution_lines

CENTER_ROWS = '''def center_rows(x):
    """Return x with each row's mean subtracted from that row."""
    ### BEGIN SOLUTION
    return x - x.mean(dim=1, keepdim=True)
    ### END SOLUTION
'''


def _diffs(source: str) -> dict[str, str]:
    return {m.id: m.source for m in mutants(source)}


def test_solution_lines_are_those_between_the_markers():
    assert solution_lines(CENTER_ROWS) == {4}


def test_mutants_of_center_rows_cover_the_tensor_operators():
    found = {m.id: m.diff for m in mutants(CENTER_ROWS)}
    assert found["RemoveKeepdim:4:15:keepdim"] == ("L4: `return x - x.mean(dim=1, keepdim=True)` → "
                                                   "`return x - x.mean(dim=1)`")
    assert "x - x.mean(keepdim=True)" in _diffs(CENTER_ROWS)["RemoveDimArgument:4:15:dim"]
    assert "x + x.mean" in _diffs(CENTER_ROWS)["ReplaceBinaryOperator:4:11:Sub_Add"]
    assert "x - x.sum(dim=1, keepdim=True)" in _diffs(CENTER_ROWS)["ReplaceReduction:4:15:mean_sum"]
    assert "dim=2" in _diffs(CENTER_ROWS)["NumberReplacer:4:26:plus_one"]
    assert "keepdim=False" in _diffs(CENTER_ROWS)["ReplaceTrueWithFalse:4:37:flip"]
    assert "    return x\n" in _diffs(CENTER_ROWS)["RemoveSumTerm:4:11:keep_left"]


def test_only_the_solution_region_is_mutated():
    source = "def f(x):\n    y = x + 1\n    ### BEGIN SOLUTION\n    return y * 2\n    ### END SOLUTION\n"
    for mutant in mutants(source):
        assert mutant.source.splitlines()[:3] == source.splitlines()[:3], mutant.id
        assert mutant.line == 4


def test_every_mutant_parses_and_differs_from_the_answer_and_from_the_others():
    source = ("def f(X, W, dZ, grads):\n    ### BEGIN SOLUTION\n    with torch.no_grad():\n"
              "        total = -(X.T @ dZ).sum(dim=0) ** 2 / 2\n    for g in grads:\n        g.detach().zero_()\n"
              "    return total.t() if total.max() > 0 and not W else X\n    ### END SOLUTION\n")
    found = mutants(source)
    dumps = {ast.dump(ast.parse(m.source)) for m in found}
    assert len(dumps) == len(found) and ast.dump(ast.parse(source)) not in dumps
    operators = {m.operator for m in found}
    assert {"RemoveCall", "RemoveTranspose", "AddTranspose", "ReplaceUnaryOperator_USub_Delete",
            "ReplaceUnaryOperator_Not_Delete", "ZeroIterationForLoop", "ReplaceAndWithOr", "ReturnArgument",
            "ReplaceComparisonOperator", "ReplaceReduction", "ReplaceBinaryOperator"} <= operators
    by_id = {m.id: m.source for m in found}
    assert "    if True:\n" in by_id["RemoveCall:3:4:no_grad"]
    assert "(X @ dZ)" in by_id["RemoveTranspose:4:18:T"]


def test_operator_swaps_keep_precedence():
    source = "def f(y, y_hat):\n    ### BEGIN SOLUTION\n    return 0.5 * (y - y_hat) ** 2\n    ### END SOLUTION\n"
    found = {m.id: m.source for m in mutants(source)}
    assert "0.5 * ((y - y_hat) * 2)" in found["ReplaceBinaryOperator:3:17:Pow_Mult"]


def test_ids_are_stable_for_the_same_source():
    assert [m.id for m in mutants(CENTER_ROWS)] == [m.id for m in mutants(CENTER_ROWS)]
    shifted = CENTER_ROWS.replace('    """Return', '    # a comment\n    """Return')
    assert {m.id.replace(":5:", ":4:") for m in mutants(shifted)} == {m.id for m in mutants(CENTER_ROWS)}
