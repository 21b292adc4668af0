import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.downloads import DatasetUnavailable
from helpers.fashion_mnist import CLASS_NAMES, FILES, load_fashion_mnist, read_idx

REAL = Path(os.environ.get("COURSE_DATA_DIR", "/nonexistent")) / "fashion-mnist"


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


def make_fashion_folder(folder: Path, train: int = 12, test: int = 5) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, count in (("train", train), ("test", test)):
        images_file, _, labels_file, _ = FILES[split]
        write_idx(folder / images_file, rng.integers(0, 256, (count, 28, 28)))
        write_idx(folder / labels_file, np.arange(count) % 10)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_DATA_CACHE", str(tmp_path / "empty-cache"))


def test_read_idx_plain_and_gzip(tmp_path):
    array = np.arange(24).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "a", array, compress=False)
    assert np.array_equal(read_idx(tmp_path / "a.gz"), array)
    assert np.array_equal(read_idx(tmp_path / "a"), array)


@pytest.mark.parametrize("damage", ["magic", "truncated", "not-gzip"])
def test_read_idx_rejects_corrupt_files_in_one_line(tmp_path, damage):
    path = tmp_path / "bad.gz"
    raw = struct.pack(">BBBBI", 0, 0, 0x08, 1, 10) + bytes(10)
    if damage == "magic":
        raw = b"\x12\x34" + raw[2:]
    if damage == "truncated":
        raw = raw[:-3]
    path.write_bytes(b"not gzip at all" if damage == "not-gzip" else gzip.compress(raw))
    with pytest.raises(DatasetUnavailable) as error:
        read_idx(path)
    assert "\n" not in str(error.value)


def test_loads_a_generated_folder(tmp_path, offline):
    make_fashion_folder(tmp_path / "fm")
    data = load_fashion_mnist(tmp_path / "fm")
    assert data.train_images.shape == (12, 28, 28) and data.train_images.dtype == torch.uint8
    assert data.test_labels.tolist() == [0, 1, 2, 3, 4]
    assert data.class_names == CLASS_NAMES
    features, labels = data.features("train")
    assert torch.equal(labels, data.train_labels)
    assert features.shape == (12, 784) and features.dtype == torch.float32
    assert features.min() >= 0.0 and features.max() <= 1.0


def test_offline_default_is_digits_announced_in_one_line(offline, capsys):
    data = load_fashion_mnist()
    message = capsys.readouterr().out
    assert message.count("\n") == 1 and "digits" in message
    assert data.image_shape == (8, 8) and len(data.class_names) == 10
    assert len(data.train_labels) + len(data.test_labels) == 1797


def test_corrupt_copy_falls_back_with_the_reason(tmp_path, offline, capsys):
    make_fashion_folder(tmp_path / "fm")
    (tmp_path / "fm" / FILES["test"][2]).write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x09"))
    data = load_fashion_mnist(tmp_path / "fm")
    assert "digits" in data.source
    assert "truncated or corrupt" in capsys.readouterr().out


@pytest.mark.skipif(not REAL.is_dir(), reason="real Fashion-MNIST not present (set COURSE_DATA_DIR)")
def test_real_files(offline):
    data = load_fashion_mnist(REAL)
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert torch.bincount(data.train_labels).tolist() == [6000] * 10
    assert torch.bincount(data.test_labels).tolist() == [1000] * 10
