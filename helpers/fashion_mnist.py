"""Fashion-MNIST from its original IDX files, with scikit-learn's digits as the offline stand-in."""

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from helpers.downloads import DatasetUnavailable, download, downloads_allowed, search_dirs

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FILES = {  # split -> (images file, images md5, labels file, labels md5)
    "train": ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
              "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
    "test": ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
             "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
}
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
IDX_UNSIGNED_BYTE = 0x08


@dataclass(frozen=True)
class ImageClassification:
    """An image classification dataset: uint8 images [N, H, W], int64 labels [N], and names."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    class_names: tuple[str, ...]
    pixel_max: int
    source: str

    @property
    def image_shape(self) -> tuple[int, int]:
        """Height and width of one image."""
        return tuple(self.train_images.shape[1:])

    def features(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Flattened float32 pixels scaled to [0, 1], and labels, for split 'train' or 'test'."""
        images = self.train_images if split == "train" else self.test_images
        labels = self.train_labels if split == "train" else self.test_labels
        return images.reshape(len(images), -1).float() / self.pixel_max, labels


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes (gzip-compressed or not); raise DatasetUnavailable if invalid."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:
        raise DatasetUnavailable(f"{path.name} cannot be read: {error}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != IDX_UNSIGNED_BYTE or raw[3] == 0:
        raise DatasetUnavailable(f"{path.name} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4")) if len(raw) >= header else ()
    if len(dims) != ndim or len(raw) - header != int(np.prod(dims)):
        raise DatasetUnavailable(f"{path.name} is truncated or corrupt (header says {dims})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    images_file, _, labels_file, _ = FILES[split]
    images, labels = read_idx(folder / images_file), read_idx(folder / labels_file)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetUnavailable(f"{folder}: {split} images {images.shape} and labels {labels.shape} disagree")
    if labels.max(initial=0) >= len(CLASS_NAMES):
        raise DatasetUnavailable(f"{folder}: {split} labels go up to {labels.max()}, beyond 9")
    return images, labels


def _from_folder(folder: Path) -> ImageClassification:
    (train_x, train_y), (test_x, test_y) = _read_split(folder, "train"), _read_split(folder, "test")
    return ImageClassification(
        torch.from_numpy(train_x.copy()), torch.from_numpy(train_y.astype(np.int64)),
        torch.from_numpy(test_x.copy()), torch.from_numpy(test_y.astype(np.int64)),
        CLASS_NAMES, 255, "Fashion-MNIST (original IDX files)",
    )


def _download_to(folder: Path) -> None:
    for images_file, images_md5, labels_file, labels_md5 in FILES.values():
        for name, md5 in ((images_file, images_md5), (labels_file, labels_md5)):
            download(BASE_URL + name, folder / name, algorithm="md5", digest=md5)


def digits_stand_in() -> ImageClassification:
    """scikit-learn's 8x8 digits (ships with it), split 80/20 with a fixed seed: the offline stand-in."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    cut = int(0.8 * len(order))
    images = torch.from_numpy(digits.images.astype(np.uint8))
    labels = torch.from_numpy(digits.target.astype(np.int64))
    train, test = torch.from_numpy(order[:cut]), torch.from_numpy(order[cut:])
    return ImageClassification(images[train], labels[train], images[test], labels[test],
                               tuple(str(d) for d in range(10)), 16, "scikit-learn digits (offline stand-in)")


def load_fashion_mnist(data_dir: str | Path | None = None) -> ImageClassification:
    """Fashion-MNIST from `data_dir`, $COURSE_DATA_DIR, the cache or a download; else the digits stand-in.

    Never raises for a missing or corrupt dataset: it says why in one line and uses the stand-in.
    """
    folders = search_dirs("fashion-mnist", data_dir)
    reasons = []
    for folder in folders:
        if all((folder / name).is_file() for files in FILES.values() for name in files[::2]):
            try:
                return _from_folder(folder)
            except DatasetUnavailable as error:
                reasons.append(str(error))
    if downloads_allowed():
        try:
            _download_to(folders[-1])
            return _from_folder(folders[-1])
        except DatasetUnavailable as error:
            reasons.append(str(error))
    reason = reasons[-1] if reasons else "no local copy and downloads are off"
    print(f"Fashion-MNIST unavailable ({reason}); using scikit-learn's 8x8 digits instead.")
    return digits_stand_in()
