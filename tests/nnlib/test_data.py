"""nnlib.data: toy data sets, splitting, batching, one-hot, and the IDX/MNIST reader."""
import gzip
import hashlib
import urllib.request

import numpy as np
import pytest

from nnlib import data
from nnlib.data import (MNIST_FILES, MNIST_SHA256, batches, circles, load_digits, load_mnist, moons,
                        one_hot, read_idx, spirals, train_test_split, xor)


# -- toy data sets -------------------------------------------------------------
def test_xor_is_the_truth_table_with_float_inputs_and_int_labels():
    X, y = xor()
    assert X.shape == (4, 2) and X.dtype == np.float64
    assert y.shape == (4,) and y.dtype.kind == "i"
    np.testing.assert_array_equal(y, X[:, 0].astype(int) ^ X[:, 1].astype(int))


def test_spirals_has_n_points_per_class_in_class_order():
    X, y = spirals(40, classes=3, noise=0.1, rng=0)
    assert X.shape == (120, 2) and X.dtype == np.float64
    assert y.dtype.kind == "i"
    np.testing.assert_array_equal(y, np.repeat([0, 1, 2], 40))
    assert np.all(np.linalg.norm(X, axis=1) <= 1.0 + 1e-12)


def test_spirals_without_noise_are_rotated_copies_of_one_arm():
    X, y = spirals(30, classes=4, noise=0.0, rng=0)
    arm0, arm1 = X[y == 0], X[y == 1]
    c, s = np.cos(np.pi / 2), np.sin(np.pi / 2)
    # angle + pi/2 maps (sin t, cos t) to (cos t, -sin t)
    np.testing.assert_allclose(arm1, np.c_[arm0[:, 0] * c + arm0[:, 1] * s, arm0[:, 1] * c - arm0[:, 0] * s],
                               atol=1e-12)


def test_spirals_are_reproducible_with_a_seed_and_differ_across_seeds():
    np.testing.assert_array_equal(spirals(20, rng=3)[0], spirals(20, rng=3)[0])
    assert not np.array_equal(spirals(20, rng=3)[0], spirals(20, rng=4)[0])


def test_spirals_refuses_bad_sizes():
    with pytest.raises(ValueError, match="n must be >= 1"):
        spirals(0)
    with pytest.raises(ValueError, match="classes"):
        spirals(10, classes=1)
    with pytest.raises(TypeError, match="n must be an integer"):
        spirals(2.5)
    with pytest.raises(ValueError, match="noise"):
        spirals(10, noise=-0.1)


@pytest.mark.parametrize("make", [moons, circles])
def test_moons_and_circles_give_n_points_per_class_reproducibly(make):
    X, y = make(25, rng=0)
    assert X.shape == (50, 2) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [25, 25])
    np.testing.assert_array_equal(make(25, rng=0)[0], X)
    assert not np.array_equal(make(25, rng=1)[0], X)


def test_moons_passes_a_seed_drawn_from_rng_to_sklearn():
    from sklearn.datasets import make_moons

    seed = int(np.random.default_rng(5).integers(2**31 - 1))
    X_ref, y_ref = make_moons(n_samples=(10, 10), noise=0.2, random_state=seed)
    X, y = moons(10, noise=0.2, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_circles_refuses_factor_outside_zero_one():
    with pytest.raises(ValueError, match="factor"):
        circles(10, factor=1.0)


def test_load_digits_scales_pixels_to_unit_interval():
    X, y, images = load_digits(return_images=True)
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype.kind == "i"
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(images.reshape(1797, 64), X)
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    assert len(load_digits()) == 2


# -- splitting -----------------------------------------------------------------
def test_train_test_split_partitions_rows_and_keeps_x_and_y_aligned():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, rng=0)
    assert len(X_te) == 3 and len(X_tr) == 7  # ceil(0.25 * 10), as scikit-learn
    np.testing.assert_array_equal(np.sort(np.r_[y_tr, y_te]), np.arange(10))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)


def test_train_test_split_is_deterministic_with_a_seed():
    X, y = spirals(20, rng=0)
    a = train_test_split(X, y, rng=1)
    b = train_test_split(X, y, rng=1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_train_test_split_accepts_an_integer_test_size():
    _, X_te, _, _ = train_test_split(np.zeros((10, 1)), np.zeros(10), test_size=4, rng=0)
    assert len(X_te) == 4


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.5, 0, 10, -1])
def test_train_test_split_refuses_test_sizes_that_empty_a_part(bad):
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(np.zeros((10, 1)), np.zeros(10), test_size=bad)


def test_train_test_split_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="X has 5 rows but y has 4"):
        train_test_split(np.zeros((5, 2)), np.zeros(4))


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [40, 20, 8])
    X = np.arange(len(y))[:, None].astype(float)
    _, _, y_tr, y_te = train_test_split(X, y, test_size=0.25, rng=0, stratify=True)
    assert len(y_te) == 17
    np.testing.assert_array_equal(np.bincount(y_te), [10, 5, 2])
    np.testing.assert_array_equal(np.bincount(y_tr), [30, 15, 6])


def test_stratified_split_puts_every_class_in_both_parts():
    y = np.array([0] * 30 + [1] * 2)
    _, _, y_tr, y_te = train_test_split(np.zeros((32, 1)), y, test_size=0.1, rng=0, stratify=True)
    assert set(y_tr) == {0, 1} and set(y_te) == {0, 1}


def test_stratified_split_refuses_a_class_with_one_example():
    with pytest.raises(ValueError, match="at least 2 examples"):
        train_test_split(np.zeros((5, 1)), np.array([0, 0, 0, 0, 1]), stratify=True)


# -- batching ------------------------------------------------------------------
def test_batches_without_shuffle_are_consecutive_views():
    X = np.arange(14.0).reshape(7, 2)
    y = np.arange(7)
    out = list(batches(X, y, 3, shuffle=False))
    assert [len(yb) for _, yb in out] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in out]), y)
    assert np.shares_memory(out[0][0], X)


def test_shuffled_batches_visit_every_example_once_with_x_and_y_aligned():
    X = np.arange(22.0).reshape(11, 2)
    y = np.arange(11)
    out = list(batches(X, y, 4, rng=0))
    seen = np.concatenate([yb for _, yb in out])
    assert not np.array_equal(seen, y)
    np.testing.assert_array_equal(np.sort(seen), y)
    for Xb, yb in out:
        np.testing.assert_array_equal(Xb[:, 0], 2 * yb)


def test_batches_drop_last_skips_the_short_batch():
    sizes = [len(yb) for _, yb in batches(np.zeros((10, 1)), np.zeros(10), 4, rng=0, drop_last=True)]
    assert sizes == [4, 4]


def test_batches_are_reproducible_with_a_seed():
    X, y = np.zeros((9, 1)), np.arange(9)
    a = [yb for _, yb in batches(X, y, 2, rng=5)]
    b = [yb for _, yb in batches(X, y, 2, rng=5)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_batches_checks_arguments_at_call_time():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        batches(np.zeros((4, 1)), np.zeros(4), 0)  # no next() needed
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        batches(np.zeros((4, 1)), np.zeros(3), 2)
    with pytest.raises(ValueError, match="empty"):
        batches(np.zeros((0, 1)), np.zeros(0), 2)


def test_one_hot_sets_one_entry_per_row():
    Y = one_hot([2, 0, 1, 2], 3)
    np.testing.assert_array_equal(Y, np.eye(3)[[2, 0, 1, 2]])
    assert Y.dtype == np.float64


def test_one_hot_refuses_labels_out_of_range_and_non_integers():
    with pytest.raises(ValueError, match=r"expected labels in \[0, 2\]"):
        one_hot([0, 3], 3)
    with pytest.raises(TypeError, match="integer"):
        one_hot([0.5, 1.0], 3)


# -- IDX files and MNIST ---------------------------------------------------------
def _idx_bytes(arr, type_code):
    header = bytes([0, 0, type_code, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype, code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C),
                                         (np.float32, 0x0D), (np.float64, 0x0E)])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_reads_back_what_was_written(tmp_path, dtype, code, compress):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if dtype != np.uint8 else np.arange(24, dtype=dtype)
    raw = _idx_bytes(arr, code)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    out = read_idx(path)
    assert out.shape == arr.shape and out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_read_idx_refuses_a_bad_magic_number(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x01\x00\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)


def test_read_idx_refuses_an_unknown_type_code(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(bytes([0, 0, 0x07, 1]) + np.array([1], ">u4").tobytes() + b"\x00")
    with pytest.raises(ValueError, match="unknown IDX data type 0x07"):
        read_idx(path)


def test_read_idx_refuses_data_of_the_wrong_length(tmp_path):
    path = tmp_path / "short.idx"
    path.write_bytes(_idx_bytes(np.arange(6, dtype=np.uint8), 0x08)[:-1])
    with pytest.raises(ValueError, match=r"shape \(6,\) \(6 bytes of data\).*holds 5 bytes"):
        read_idx(path)


def test_mnist_checksum_table_covers_the_four_standard_files():
    assert sorted(MNIST_SHA256) == sorted(MNIST_FILES.values())
    assert set(MNIST_FILES.values()) == {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in MNIST_SHA256.values())


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A tiny cache dir in MNIST's format (5 train and 3 test images), plus its checksums."""
    def refuse_network(*args, **kwargs):
        raise AssertionError("load_mnist must not touch the network unless download=True")

    monkeypatch.setattr(urllib.request, "urlopen", refuse_network)
    rng = np.random.default_rng(0)
    contents = {
        "train_images": (rng.integers(0, 256, (5, 28, 28)).astype(np.uint8), 0x08),
        "train_labels": (np.array([5, 0, 4, 1, 9], np.uint8), 0x08),
        "test_images": (rng.integers(0, 256, (3, 28, 28)).astype(np.uint8), 0x08),
        "test_labels": (np.array([7, 2, 1], np.uint8), 0x08),
    }
    sums = {}
    for key, (arr, code) in contents.items():
        blob = gzip.compress(_idx_bytes(arr, code))
        (tmp_path / MNIST_FILES[key]).write_bytes(blob)
        sums[MNIST_FILES[key]] = hashlib.sha256(blob).hexdigest()
    return tmp_path, sums, contents


def test_load_mnist_reads_flattens_and_scales_a_verified_cache(fake_mnist):
    folder, sums, contents = fake_mnist
    X_tr, y_tr, X_te, y_te = load_mnist(folder, checksums=sums)
    assert X_tr.shape == (5, 784) and X_te.shape == (3, 784) and X_tr.dtype == np.float32
    np.testing.assert_allclose(X_tr, contents["train_images"][0].reshape(5, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_te, [7, 2, 1])
    assert y_tr.dtype == np.int64
    assert load_mnist(folder, checksums=sums, dtype=np.float64)[0].dtype == np.float64


def test_load_mnist_refuses_a_file_whose_checksum_does_not_match(fake_mnist):
    folder, sums, _ = fake_mnist
    sums["t10k-labels-idx1-ubyte.gz"] = "0" * 64
    with pytest.raises(ValueError, match="checksum mismatch for .*t10k-labels-idx1-ubyte.gz"):
        load_mnist(folder, checksums=sums)


def test_load_mnist_uses_the_published_checksums_by_default(fake_mnist):
    folder, _, _ = fake_mnist  # our fake files are not the real MNIST
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_mnist(folder)


def test_load_mnist_without_download_reports_missing_files_and_never_downloads(fake_mnist, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_mnist(empty)


def test_data_module_lists_its_public_names():
    for name in data.__all__:
        assert hasattr(data, name), name
