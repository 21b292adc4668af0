"""Where datasets are looked for, and a careful download: timeout, checksum, cache, one-line errors."""

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

DATA_DIR_VARIABLE = "COURSE_DATA_DIR"  # a folder that already holds the datasets (CI: ../shared/data)
CACHE_VARIABLE = "COURSE_DATA_CACHE"  # where downloads are kept (default ~/.cache/torch-foundations)
OFFLINE_VARIABLE = "COURSE_OFFLINE"  # "1": never download (CI, tests and grading set it)


class DatasetUnavailable(RuntimeError):
    """A dataset could not be found, downloaded or verified; the message is one line."""


def cache_dir() -> Path:
    """The download cache folder (created on demand)."""
    default = Path.home() / ".cache" / "torch-foundations"
    return Path(os.environ.get(CACHE_VARIABLE, default)).expanduser()


def search_dirs(name: str, explicit: str | Path | None = None) -> list[Path]:
    """Folders to search for dataset `name`: `explicit`, then $COURSE_DATA_DIR/name, then the cache."""
    folders = [Path(explicit)] if explicit else []
    if os.environ.get(DATA_DIR_VARIABLE):
        folders.append(Path(os.environ[DATA_DIR_VARIABLE]) / name)
    folders.append(cache_dir() / name)
    return folders


def downloads_allowed() -> bool:
    """False when COURSE_OFFLINE=1: nothing is downloaded in CI, tests or grading."""
    return os.environ.get(OFFLINE_VARIABLE, "") not in {"1", "true", "yes"}


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file (`md5` or `sha256`)."""
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, target: Path, *, algorithm: str, digest: str, timeout: float = 30.0) -> Path:
    """Download `url` to `target` unless a verified copy is there; raise DatasetUnavailable on failure."""
    if target.is_file() and file_digest(target, algorithm) == digest:
        return target
    if not downloads_allowed():
        raise DatasetUnavailable(f"{target.name} is not available offline ({OFFLINE_VARIABLE}=1)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as partial:
        partial_path = Path(partial.name)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, partial)
        except (OSError, ValueError) as error:
            partial_path.unlink(missing_ok=True)
            raise DatasetUnavailable(f"could not download {url}: {error}") from None
    if file_digest(partial_path, algorithm) != digest:
        partial_path.unlink(missing_ok=True)
        raise DatasetUnavailable(f"{url} downloaded, but its {algorithm} checksum is wrong")
    partial_path.replace(target)
    return target
