"""MNIST from its four standard IDX files, checked by SHA-256 before use.

Nothing is downloaded unless ``load_mnist(download=True)`` is called; the
tests never do. Public names are re-exported by :mod:`nnlib.data`.

About the checksums: they were not computed here from a downloaded copy
(this code was written offline). They are the SHA-256 values published, in
agreement with each other, by two independent projects: TensorFlow Datasets
(``tensorflow_datasets/url_checksums/mnist.txt``, for the files on the
``storage.googleapis.com/cvdf-datasets/mnist`` mirror) and torchvision's
prototype MNIST dataset (``_CHECKSUMS``). If you hold a copy you have verified
yourself, or use another mirror, pass your own table as ``checksums=``.
"""
from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

MNIST_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"

# IDX type byte -> big-endian numpy dtype.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (gzip-compressed or not) into a numpy array.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    ndarray
        Shape given by the header, native byte order.

    Notes
    -----
    An IDX file is a 4-byte magic number ``0x00 0x00 T D`` (``T`` the data
    type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64; ``D`` the number of dimensions), then ``D`` big-endian
    uint32 sizes, then the values in big-endian C order.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file: it should start with two zero bytes, got {raw[:4]!r}")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX data type 0x{type_code:02x}; "
                         f"expected one of {[hex(t) for t in _IDX_DTYPES]}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes, expected at least {header})")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[type_code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: the header promises shape {shape} ({expected} bytes of data), "
                         f"but the file holds {len(raw) - header} bytes after the header")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def sha256_of(path) -> str:
    """Hex SHA-256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _default_cache_dir() -> Path:
    return Path(os.environ.get("NNLIB_DATA", Path.home() / ".cache" / "nnlib")) / "mnist"


def _download(url: str, target: Path) -> None:
    import urllib.request

    tmp = target.with_suffix(target.suffix + ".part")
    with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as fh:
        while chunk := response.read(1 << 20):
            fh.write(chunk)
    tmp.replace(target)


def load_mnist(cache_dir=None, download=False, *, checksums=None, mirror=MNIST_MIRROR, dtype=np.float32):
    """The MNIST digits: 60 000 training and 10 000 test images of 28x28 pixels.

    Parameters
    ----------
    cache_dir : str or os.PathLike, optional
        Folder holding the four ``.gz`` files of :data:`MNIST_FILES`. Default:
        ``$NNLIB_DATA/mnist``, or ``~/.cache/nnlib/mnist``.
    download : bool
        Fetch missing files from ``mirror``. False by default: nothing is
        ever downloaded unless you ask.
    checksums : dict, optional
        File name -> expected SHA-256 hex digest; default :data:`MNIST_SHA256`.
        Every file is checked before it is parsed.
    mirror : str
        Base URL used when ``download`` is True.
    dtype : numpy dtype
        float32 (default, 188 MB for the training images) or float64 (376 MB).

    Returns
    -------
    X_train : ndarray, shape (60000, 784), pixels scaled to [0, 1]
    y_train : ndarray, shape (60000,), int64
    X_test : ndarray, shape (10000, 784)
    y_test : ndarray, shape (10000,), int64
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    checksums = dict(MNIST_SHA256 if checksums is None else checksums)
    folder = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
    arrays = {}
    for key, fname in MNIST_FILES.items():
        path = folder / fname
        if not path.exists():
            if not download:
                raise FileNotFoundError(
                    f"{path} not found. Put the four MNIST files {sorted(MNIST_FILES.values())} in "
                    f"{folder}, or call load_mnist(download=True) to fetch them from {mirror}")
            folder.mkdir(parents=True, exist_ok=True)
            _download(mirror.rstrip("/") + "/" + fname, path)
        if fname not in checksums:
            raise ValueError(f"no SHA-256 checksum for {fname} in checksums=; every file must be verified")
        actual = sha256_of(path)
        if actual != checksums[fname].lower():
            raise ValueError(f"checksum mismatch for {path}: expected SHA-256 {checksums[fname]}, got {actual}. "
                             f"The file is corrupt or not the standard MNIST file; delete it and download again")
        arrays[key] = read_idx(path)
    out = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{split} files do not match: images have shape {images.shape}, "
                             f"labels {labels.shape}; expected (N, rows, cols) and (N,)")
        out.append(images.reshape(len(images), -1).astype(dtype) / dtype.type(255))
        out.append(labels.astype(np.int64))
    return tuple(out)
