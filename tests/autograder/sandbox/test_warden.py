"""The warden's pure parts: what a report's signature covers, and how paths are judged."""

from autograder.sandbox.warden import beneath, code_digest, normal_path, payload, sign


def _report(**changes):
    report = {"nonce": "n1", "code": code_digest("assert f(1) == 2"), "status": "ok", "ename": "", "evalue": "",
              "restored": ["torch.allclose"], "problems": [], "attempts": ["use the network"], "mistake": "", "line": 0}
    return {**report, **changes}


def test_every_field_that_decides_a_score_is_signed():
    key = b"k" * 32
    mac = sign(key, _report())
    assert sign(key, _report()) == mac
    for field, value in [("status", "error"), ("nonce", "n2"), ("code", code_digest("pass")), ("problems", ["x"]),
                         ("ename", "CheckFailed"), ("evalue", "wrong"), ("restored", []), ("attempts", []),
                         ("mistake", "missing-keepdim"), ("line", 7)]:
        assert sign(key, _report(**{field: value})) != mac, field
    assert sign(b"other" * 8, _report()) != mac


def test_a_report_read_back_from_json_signs_the_same():
    report = _report()
    assert payload({**report, "restored": tuple(report["restored"])}) == payload(report)
    assert payload({**report, "mac": "ignored"}) == payload(report)


def test_paths_are_judged_without_touching_the_disk():
    assert normal_path("data/x.csv", "/scratch/k1") == "/scratch/k1/data/x.csv"
    assert normal_path("../../course/work/gradebook.db", "/scratch/k1") == "/course/work/gradebook.db"
    assert normal_path("/etc/../course/./x", "/") == "/course/x"
    assert beneath("/scratch/k1/a", ("/scratch/k1",)) and beneath("/scratch/k1", ("/scratch/k1",))
    assert not beneath("/scratch/k10/a", ("/scratch/k1",))


def test_a_failed_test_reports_its_line_and_the_checks_mistake_id():
    from autograder.sandbox.kernel import _failure_line, _mistake

    class CheckFailed(AssertionError):
        def __init__(self, message, mistake=None):
            super().__init__(message)
            self.mistake = mistake

    def fail(error):
        raise error

    namespace = {"fail": fail, "CheckFailed": CheckFailed}
    code = compile("x = 1\n\nfail(CheckFailed('wrong', 'missing-keepdim'))\n", "<test>", "exec")
    try:
        exec(code, namespace)
    except CheckFailed as error:
        assert _failure_line(error) == 3
        assert _mistake(error) == "missing-keepdim"
    for odd in (None, 3, "has space", "<b>x</b>", "a" * 65):
        assert _mistake(CheckFailed("m", odd)) == ""
    assert _mistake(ValueError("no id")) == ""
    try:
        compile("x = (", "<test>", "exec")
    except SyntaxError as error:
        assert _failure_line(error) == 1
