import os
from pathlib import Path

import pytest

from helpers.california_housing import FEATURES, TARGET, generated_stand_in, load_california_housing

REAL = Path(os.environ.get("COURSE_DATA_DIR", "/nonexistent")) / "california-housing"
COLUMNS = [*FEATURES, TARGET]


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "empty-cache"))


def test_offline_stand_in_has_the_real_columns(offline, capsys):
    table = load_california_housing()
    assert "stand-in" in table.source
    assert capsys.readouterr().out.count("\n") == 1
    assert list(table.frame.columns) == COLUMNS and len(table.frame) == 20640
    assert table.frame.notna().all().all()


def test_stand_in_is_deterministic():
    assert generated_stand_in(100).equals(generated_stand_in(100))


def test_raw_table_route(tmp_path, offline):
    folder = tmp_path / "ch"
    folder.mkdir()
    (folder / "cal_housing.data").write_text(
        "-122.23,37.88,41.0,880.0,129.0,322.0,126.0,8.3252,452600.0\r\n"
        "-122.22,37.86,21.0,7099.0,1106.0,2401.0,1138.0,8.3014,358500.0"
    )
    frame = load_california_housing(folder).frame
    assert list(frame.columns) == COLUMNS
    assert frame.loc[0, "AveRooms"] == pytest.approx(880 / 126)
    assert frame.loc[1, TARGET] == pytest.approx(3.585)


def test_corrupt_cache_file_falls_back(tmp_path, offline, capsys):
    folder = tmp_path / "ch"
    folder.mkdir()
    (folder / "cal_housing_py3.pkz").write_bytes(b"garbage")
    table = load_california_housing(folder)
    assert "stand-in" in table.source
    assert "unreadable" in capsys.readouterr().out


@pytest.mark.skipif(not REAL.is_dir(), reason="real California housing not present (set COURSE_DATA_DIR)")
def test_real_data_matches_the_course_excerpt(offline):
    frame = load_california_housing(REAL).frame
    assert frame.shape == (20640, 9)
    row = frame.loc[11143]
    assert row["MedInc"] == pytest.approx(3.1884) and row["AveOccup"] == pytest.approx(2.798450, abs=1e-6)
    assert frame.loc[13890, TARGET] == pytest.approx(1.375)
