r"""Data-parallel training, checked: DistributedDataParallel on two CPU processes.

In **data parallelism** every one of :math:`K` workers holds a full copy of
the model and computes the gradient of the mean loss on its own shard of the
batch; an *all-reduce* then averages the workers' gradients, so every copy
takes the same step. With equal shards of :math:`B/K` examples,

.. math::
    \bar g = \frac{1}{K}\sum_{k=1}^{K} g_k
           = \frac{1}{K}\sum_{k=1}^{K} \frac{K}{B}\sum_{n \in S_k} \nabla_\theta \ell_n
           = \frac{1}{B}\sum_{n=1}^{B} \nabla_\theta \ell_n ,

the gradient one process would compute on the whole batch.
:func:`ddp_gradient_check` verifies this with PyTorch's
``DistributedDataParallel`` on the ``gloo`` backend (CPU processes on
127.0.0.1); on GPUs the backend would be ``nccl``. With a BatchNorm layer
the equality fails, because each worker normalises with the statistics of
its own shard (``batchnorm=True`` shows it). :func:`ring_allreduce`
simulates the ring algorithm that performs the all-reduce and counts the
bytes each worker sends. torch is imported inside the functions.
"""
from __future__ import annotations

import os
import queue as _queue
import socket
import sys
import time
import traceback
from multiprocessing.connection import wait

import numpy as np

from ._validate import as_class_labels, as_float_array, check_number

__all__ = ["free_port", "shard", "average_gradients", "ring_allreduce", "ring_allreduce_bytes",
           "ddp_gradient_check"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def shard(n: int, rank: int, world_size: int) -> np.ndarray:
    """Indices of the examples of worker ``rank``: ``rank, rank + K, rank + 2K, ...``.

    The split ``torch.utils.data.DistributedSampler`` makes without shuffling;
    ``n`` must be a multiple of ``world_size`` so that all shards are equal.

    Examples
    --------
    >>> shard(6, 1, 2)
    array([1, 3, 5])
    """
    check_number(world_size, "world_size", low=1, integer=True)
    check_number(rank, "rank", low=0, high=world_size - 1, integer=True)
    check_number(n, "n", low=1, integer=True)
    if n % world_size:
        raise ValueError(f"the batch has {n} examples, not a multiple of world_size={world_size}: "
                         f"the shards would differ in size and their average would not be the batch mean")
    return np.arange(rank, n, world_size)


def average_gradients(local_grads):
    r"""What an averaging all-reduce leaves on every worker: :math:`\bar g = \frac1K\sum_k g_k`.

    Parameters
    ----------
    local_grads : sequence of K sequences of ndarray
        ``local_grads[k][j]``: worker ``k``'s gradient of parameter ``j``.

    Returns
    -------
    list of ndarray
        The mean over workers, parameter by parameter.

    Examples
    --------
    >>> average_gradients([[np.array([0.3])], [np.array([-0.1])]])[0]
    array([0.1])
    """
    local_grads = [list(g) for g in local_grads]
    if not local_grads:
        raise ValueError("local_grads is empty: expected one list of gradients per worker")
    counts = {len(g) for g in local_grads}
    if len(counts) != 1:
        raise ValueError(f"every worker must give one gradient per parameter, got counts {sorted(counts)}")
    out = []
    for j, grads in enumerate(zip(*local_grads)):
        arrays = [as_float_array(g, f"local_grads[k][{j}]") for g in grads]
        if len({a.shape for a in arrays}) != 1:
            raise ValueError(f"parameter {j} has different shapes on different workers: {[a.shape for a in arrays]}")
        out.append(np.mean(arrays, axis=0))
    return out


def ring_allreduce(local, average=True):
    r"""A ring all-reduce of K workers' arrays, simulated step by step, with the bytes sent.

    Each worker cuts its array into K chunks. In the *reduce-scatter* phase
    (K - 1 steps) worker k sends one chunk to worker k + 1 (mod K), which adds
    it to its own; afterwards worker k holds the complete sum of chunk
    k + 1 (mod K). In the *all-gather* phase (K - 1 more steps) the finished
    chunks travel once more round the ring, so that every worker ends with
    the whole sum.

    Parameters
    ----------
    local : sequence of K ndarray, all of the same shape and dtype
        ``local[k]``: worker k's array (for DDP, its flattened gradients).
    average : bool
        Divide the sum by K, as DDP does.

    Returns
    -------
    dict with
        ``result`` : list of K ndarray, what every worker holds at the end;
        ``bytes_sent`` : ndarray of int, shape (K,), bytes each worker sent.

    Notes
    -----
    When the size :math:`S` (in bytes) splits into K equal chunks, every
    worker sends :math:`2(K-1)` chunks of :math:`S/K` bytes:

    .. math:: \text{bytes sent per worker} = 2\,\frac{K-1}{K}\,S ,

    less than twice the array whatever K, which is why the ring is
    bandwidth-optimal (Patarasuk & Yuan, 2009).

    Examples
    --------
    >>> r = ring_allreduce([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    >>> r["result"][1], r["bytes_sent"].tolist()
    (array([2., 3.]), [16, 16])
    """
    arrays = [np.asarray(a) for a in local]
    if len(arrays) < 1:
        raise ValueError("local is empty: expected one array per worker")
    if len({(a.shape, a.dtype) for a in arrays}) != 1:
        raise ValueError(f"every worker's array must have the same shape and dtype, got "
                         f"{[(a.shape, a.dtype.name) for a in arrays]}")
    if arrays[0].dtype.kind not in "fc":
        raise TypeError(f"the arrays must be floating point, got dtype {arrays[0].dtype}")
    K, shape = len(arrays), arrays[0].shape
    chunks = [[c.copy() for c in np.array_split(a.ravel(), K)] for a in arrays]
    sent = np.zeros(K, dtype=np.int64)
    for step in range(K - 1):                      # reduce-scatter
        outgoing = [(k, (k - step) % K, chunks[k][(k - step) % K].copy()) for k in range(K)]
        for k, c, data in outgoing:
            chunks[(k + 1) % K][c] += data
            sent[k] += data.nbytes
    for step in range(K - 1):                      # all-gather
        outgoing = [(k, (k + 1 - step) % K, chunks[k][(k + 1 - step) % K].copy()) for k in range(K)]
        for k, c, data in outgoing:
            chunks[(k + 1) % K][c] = data
            sent[k] += data.nbytes
    result = [np.concatenate(c).reshape(shape) for c in chunks]
    if average:
        result = [r / K for r in result]
    return {"result": result, "bytes_sent": sent}


def ring_allreduce_bytes(size_bytes, world_size):
    r"""Bytes each worker sends in a ring all-reduce of ``size_bytes``: :math:`2(K-1)S/K`.

    Examples
    --------
    >>> ring_allreduce_bytes(407_080, 5)
    651328.0
    """
    check_number(size_bytes, "size_bytes", low=0)
    check_number(world_size, "world_size", low=1, integer=True)
    return 2 * (world_size - 1) / world_size * float(size_bytes)


def _torch_model(model, batchnorm):
    """``to_torch(model)``, with a ``BatchNorm1d`` after the first Linear layer if ``batchnorm``."""
    import torch

    from .interop import to_torch

    net = to_torch(model)
    if batchnorm:
        layers = list(net)
        bn = torch.nn.BatchNorm1d(layers[0].out_features, dtype=layers[0].weight.dtype)
        net = torch.nn.Sequential(layers[0], bn, *layers[1:])
    return net


def _worker(rank, world_size, port, model, X, y, timeout_s, conn, backend="gloo", batchnorm=False):
    """One DDP process: local gradient (no_sync), then the all-reduced one, sent back on ``conn``."""
    code = 1
    try:
        import datetime

        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP

        torch.set_num_threads(1)
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
        dist.init_process_group(backend, rank=rank, world_size=world_size,
                                timeout=datetime.timedelta(seconds=timeout_s))
        used = dist.get_backend()                      # what the process group really runs on
        net = DDP(_torch_model(model, batchnorm))      # broadcasts rank 0's weights to all
        idx = torch.from_numpy(shard(len(X), rank, world_size))
        Xk, yk = torch.from_numpy(X)[idx], torch.from_numpy(y)[idx]
        loss_fn = torch.nn.CrossEntropyLoss()
        with net.no_sync():                            # backward without communication
            loss_fn(net(Xk), yk).backward()
        local = [p.grad.detach().clone().numpy() for p in net.parameters()]
        net.zero_grad()
        loss_fn(net(Xk), yk).backward()                # backward + all-reduce (average)
        reduced = [p.grad.detach().numpy().copy() for p in net.parameters()]
        dist.barrier()                                 # every rank is done communicating
        conn.send(("ok", rank, local, reduced, used))
        code = 0
    except BaseException:  # report everything to the parent, which raises it
        conn.send(("error", rank, traceback.format_exc(), None, None))
    finally:
        conn.close()
        # Leave at once: the destructors of DDP and of the process group can block
        # at interpreter exit, and the answer has been sent.
        os._exit(code)


def _single_process_gradients(model, X, y, batchnorm=False):
    import torch

    net = _torch_model(model, batchnorm)
    torch.nn.CrossEntropyLoss()(net(torch.from_numpy(X)), torch.from_numpy(y)).backward()
    names = [n for n, _ in net.named_parameters()]
    return names, [p.grad.detach().numpy().copy() for p in net.parameters()]


def ddp_gradient_check(world_size=2, X=None, y=None, hidden=32, seed=0, timeout=60.0, start_method=None,
                       *, backend="gloo", batchnorm=False):
    r"""Gradient of a batch through DDP on ``world_size`` CPU processes vs. one process.

    Parameters
    ----------
    world_size : int
        Number of processes :math:`K` (each gets ``B / K`` examples).
    X : ndarray, shape (B, D), optional
        The batch (float64); ``B`` must be a multiple of ``world_size``. By
        default 64 random examples with 64 features.
    y : ndarray of int, shape (B,), optional
        Class labels in ``0 .. 9``.
    hidden : int
        Width of the hidden layer of the model ``D - hidden - 10`` (ReLU),
        initialised from ``seed`` in ``nnlib`` and copied to torch.
    seed : int
    timeout : float
        Seconds to wait for the workers before they are stopped and a
        ``RuntimeError`` is raised.
    start_method : {None, "fork", "spawn"}
        How the worker processes start; by default ``"fork"`` on Linux (the
        workers inherit the imported torch: fast) and ``"spawn"`` elsewhere.
    backend : str
        The ``torch.distributed`` backend to ask for (``"gloo"`` runs on
        CPUs; ``"nccl"`` needs one GPU per process).
    batchnorm : bool
        Put a ``torch.nn.BatchNorm1d`` (training mode) after the first layer.
        Each worker then normalises with the mean and variance of its own
        shard, so the all-reduced gradient is no longer the single-process
        gradient of the whole batch (``SyncBatchNorm`` would share the
        statistics; PyTorch runs it on GPUs only).

    Returns
    -------
    dict with
        ``names`` : list of str, torch's parameter names (``"0.weight"``, ...);
        ``local`` : list of K lists of ndarray, each worker's gradient of its shard's mean loss;
        ``reduced`` : list of ndarray, the gradient after DDP's all-reduce (rank 0's);
        ``single`` : list of ndarray, the gradient of the whole batch in one process;
        ``max_abs_diff`` : float, :math:`\max |\bar g - g_\text{single}|` over all entries;
        ``ranks_agree`` : bool, every rank holds bit-identical reduced gradients;
        ``world_size`` : int; ``backend`` : str, the backend the process group
        reported (``torch.distributed.get_backend()`` on rank 0);
        ``backends`` : list of str, the same for every rank;
        ``seconds`` : float, wall time.

    Notes
    -----
    Each worker first runs ``backward`` inside ``DDP.no_sync()`` (no
    communication: its local :math:`g_k`), then again normally, when DDP
    all-reduces and divides by :math:`K`. In float64 ``max_abs_diff`` is at
    the level of rounding, about :math:`10^{-17}`.
    """
    check_number(world_size, "world_size", low=1, high=16, integer=True)
    check_number(hidden, "hidden", low=1, integer=True)
    check_number(timeout, "timeout", low=1.0)
    if not isinstance(backend, str) or not backend:
        raise ValueError(f"backend must be the name of a torch.distributed backend such as 'gloo', got {backend!r}")
    rng = np.random.default_rng(seed)
    if X is None:
        X = rng.standard_normal((64, 64))
        y = rng.integers(10, size=64) if y is None else y
    X = np.ascontiguousarray(as_float_array(X, "X", ndim=2), dtype=np.float64)
    if y is None:
        raise ValueError("y is missing: give the labels of X")
    y = as_class_labels(y, "y", 10, n=len(X)).astype(np.int64)
    shard(len(X), 0, world_size)  # refuses unequal shards before any process starts

    from .layers import Dense, ReLU
    from .module import Sequential

    model = Sequential(Dense(X.shape[1], int(hidden), rng=rng), ReLU(), Dense(int(hidden), 10, rng=rng))
    names, single = _single_process_gradients(model, X, y, bool(batchnorm))

    import torch.multiprocessing as mp

    method = start_method or ("fork" if sys.platform.startswith("linux") else "spawn")
    if method == "fork":  # DDP imports torch._dynamo lazily (seconds): once here, inherited by the workers
        import torch._dynamo  # noqa: F401
    ctx = mp.get_context(method)
    start = time.perf_counter()
    port = free_port()
    pipes = [ctx.Pipe(duplex=False) for _ in range(world_size)]
    procs = [ctx.Process(target=_worker, args=(r, world_size, port, model, X, y, timeout, pipes[r][1],
                                                   backend, bool(batchnorm)), daemon=True)
             for r in range(world_size)]
    for p in procs:
        p.start()
    for _, send in pipes:
        send.close()                                   # the workers hold the sending ends
    answers = {}
    waiting = {recv: rank for rank, (recv, _) in enumerate(pipes)}
    try:
        while waiting:                                 # whichever worker answers first
            left = timeout - (time.perf_counter() - start)
            ready = wait(list(waiting), timeout=max(left, 0.0))
            if not ready:
                raise RuntimeError(
                    f"DDP workers {sorted(waiting.values())} did not answer within {timeout:g} s "
                    f"(exit codes {[p.exitcode for p in procs]}); is 127.0.0.1:{port} reachable "
                    f"and the machine not overloaded?")
            for recv in ready:
                rank = waiting.pop(recv)
                try:
                    status, r, first, second, used = recv.recv()
                except EOFError:
                    raise RuntimeError(f"DDP worker {rank} exited without an answer "
                                       f"(exit code {procs[rank].exitcode})") from None
                if status == "error":
                    raise RuntimeError(f"DDP worker {r} failed:\n{first}")
                answers[r] = (first, second, used)
    finally:
        for recv, _ in pipes:
            recv.close()
        for p in procs:
            p.join(timeout=2)
            if p.is_alive():
                p.kill()
                p.join(timeout=2)
    seconds = time.perf_counter() - start
    local = [answers[r][0] for r in range(world_size)]
    reduced = answers[0][1]
    ranks_agree = all(np.array_equal(a, b) for r in range(1, world_size) for a, b in zip(reduced, answers[r][1]))
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(reduced, single))
    return {"names": names, "local": local, "reduced": reduced, "single": single, "max_abs_diff": diff,
            "ranks_agree": bool(ranks_agree), "world_size": int(world_size),
            "backend": str(answers[0][2]), "backends": [str(answers[r][2]) for r in range(world_size)],
            "seconds": seconds}
