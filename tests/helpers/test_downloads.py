import hashlib

import pytest

from helpers import downloads
from helpers.downloads import DatasetUnavailable, download, downloads_allowed, search_dirs


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "remote.bin"
    path.write_bytes(b"payload" * 1000)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_verifies_and_caches(tmp_path, source, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    remote, digest = source
    target = tmp_path / "cache" / "file.bin"
    assert download(remote.as_uri(), target, algorithm="sha256", digest=digest) == target
    assert target.read_bytes() == remote.read_bytes()
    remote.unlink()  # a verified cached copy is used without fetching again
    assert download(remote.as_uri(), target, algorithm="sha256", digest=digest) == target


def test_wrong_checksum_leaves_nothing_behind(tmp_path, source, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    remote, _ = source
    target = tmp_path / "cache" / "file.bin"
    with pytest.raises(DatasetUnavailable, match="checksum is wrong"):
        download(remote.as_uri(), target, algorithm="sha256", digest="0" * 64)
    assert list(target.parent.iterdir()) == []


def test_unreachable_url_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    with pytest.raises(DatasetUnavailable, match="could not download") as error:
        download((tmp_path / "missing").as_uri(), tmp_path / "x", algorithm="md5", digest="0")
    assert "\n" not in str(error.value)


def test_offline_mode_never_downloads(tmp_path, source, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    remote, digest = source
    assert not downloads_allowed()
    with pytest.raises(DatasetUnavailable, match="not available offline"):
        download(remote.as_uri(), tmp_path / "x", algorithm="sha256", digest=digest)


def test_search_order(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "cache"))
    expected = [tmp_path / "mine", tmp_path / "shared" / "ds", tmp_path / "cache" / "ds"]
    assert search_dirs("ds", tmp_path / "mine") == expected
    monkeypatch.delenv("COURSE_DATA_DIR")
    assert search_dirs("ds") == [downloads.cache_dir() / "ds"]
