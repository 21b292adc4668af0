"""The warden's pure parts: what a report's signature covers, and how paths are judged."""

from autograder.sandbox.warden import beneath, code_digest, normal_path, payload, sign


def _report(**changes):
    report = {"nonce": "n1", "code": code_digest("assert f(1) == 2"), "status": "ok", "ename": "", "evalue": "",
              "restored": ["torch.allclose"], "problems": [], "attempts": ["use the network"]}
    return {**report, **changes}


def test_every_field_that_decides_a_score_is_signed():
    key = b"k" * 32
    mac = sign(key, _report())
    assert sign(key, _report()) == mac
    for field, value in [("status", "error"), ("nonce", "n2"), ("code", code_digest("pass")), ("problems", ["x"]),
                         ("ename", "CheckFailed"), ("evalue", "wrong"), ("restored", []), ("attempts", [])]:
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
