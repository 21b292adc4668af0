"""California housing (1990 census block groups), with a generated stand-in when no copy is available."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.downloads import DatasetUnavailable, download, downloads_allowed, search_dirs

FEATURES = ("MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude")
TARGET = "MedHouseVal"  # median house value in units of $100,000
SKLEARN_CACHE = "cal_housing_py3.pkz"  # the file fetch_california_housing keeps in its data_home
RAW_TABLE = "cal_housing.data"  # the original StatLib table: 9 comma-separated columns, no header
ARCHIVE_URL = "https://ndownloader.figshare.com/files/5976036"
ARCHIVE_SHA256 = "aaa5c9a6afe2225cc2aed2723682ae403280c4a3695a2ddda4ffb5d8215ea681"
RAW_COLUMNS = ("longitude", "latitude", "housingMedianAge", "totalRooms", "totalBedrooms",
               "population", "households", "medianIncome", "medianHouseValue")


@dataclass(frozen=True)
class RegressionTable:
    """A table of features plus one target column, and where it came from."""

    frame: pd.DataFrame
    target: str
    source: str


def _from_sklearn_cache(folder: Path, download_if_missing: bool = False) -> pd.DataFrame:
    from sklearn.datasets import fetch_california_housing

    bunch = fetch_california_housing(data_home=str(folder), download_if_missing=download_if_missing, as_frame=True)
    return bunch.frame


def _from_raw_table(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, header=None, names=list(RAW_COLUMNS))
    households = raw["households"]
    return pd.DataFrame({
        "MedInc": raw["medianIncome"],
        "HouseAge": raw["housingMedianAge"],
        "AveRooms": raw["totalRooms"] / households,
        "AveBedrms": raw["totalBedrooms"] / households,
        "Population": raw["population"],
        "AveOccup": raw["population"] / households,
        "Latitude": raw["latitude"],
        "Longitude": raw["longitude"],
        TARGET: raw["medianHouseValue"] / 100_000.0,
    })


def generated_stand_in(rows: int = 20640, seed: int = 0) -> pd.DataFrame:
    """A synthetic table with the same columns and plausible ranges; the target depends on income,
    rooms and occupancy with noise. Numbers differ from the real data: use it only offline."""
    rng = np.random.default_rng(seed)
    income = np.clip(rng.lognormal(1.25, 0.45, rows), 0.5, 15.0)
    rooms = np.clip(rng.lognormal(1.6, 0.25, rows) + 0.15 * income, 1.0, 40.0)
    occupancy = np.clip(rng.lognormal(1.0, 0.3, rows), 0.7, 20.0)
    value = 0.45 * income + 0.12 * (rooms - 5.0) - 0.6 * np.log(occupancy) + 0.8 + rng.normal(0, 0.5, rows)
    return pd.DataFrame({
        "MedInc": income,
        "HouseAge": rng.integers(1, 53, rows).astype(float),
        "AveRooms": rooms,
        "AveBedrms": np.clip(rng.normal(1.05, 0.1, rows), 0.5, 5.0),
        "Population": np.round(np.clip(rng.lognormal(7.0, 0.7, rows), 3, 35000)),
        "AveOccup": occupancy,
        "Latitude": rng.uniform(32.5, 42.0, rows),
        "Longitude": rng.uniform(-124.3, -114.3, rows),
        TARGET: np.clip(value, 0.15, 5.00001),
    })


def load_california_housing(data_dir: str | Path | None = None) -> RegressionTable:
    """California housing from `data_dir`, $COURSE_DATA_DIR, the cache or a download; else a stand-in.

    Looks for scikit-learn's cache file (cal_housing_py3.pkz) or the raw StatLib table in each folder.
    Never raises for a missing dataset: it says why in one line and uses the generated stand-in.
    """
    folders = search_dirs("california-housing", data_dir)
    reasons = []
    for folder in folders:
        try:
            if (folder / SKLEARN_CACHE).is_file():
                return RegressionTable(_from_sklearn_cache(folder), TARGET,
                                       "California housing (scikit-learn cache file)")
            if (folder / RAW_TABLE).is_file():
                return RegressionTable(_from_raw_table(folder / RAW_TABLE), TARGET,
                                       "California housing (original StatLib table)")
        except Exception as error:  # a corrupt cache file can fail in joblib, numpy or pandas
            reasons.append(f"{folder} is unreadable: {type(error).__name__}")
    if downloads_allowed():
        cache = folders[-1]
        try:
            download(ARCHIVE_URL, cache / "cal_housing.tgz", algorithm="sha256", digest=ARCHIVE_SHA256)
            return RegressionTable(_from_sklearn_cache(cache, download_if_missing=True), TARGET,
                                   "California housing (downloaded)")
        except DatasetUnavailable as error:
            reasons.append(str(error))
    reason = reasons[-1] if reasons else "no local copy and downloads are off"
    print(f"California housing unavailable ({reason}); using a generated stand-in with the same columns.")
    return RegressionTable(generated_stand_in(), TARGET, "generated stand-in (offline)")
