r"""Data parallelism with real processes (d2l §12.5–12.7): ``torch.distributed`` on the CPU.

Each *replica* is an operating-system process with one intra-op thread, started with the
``spawn`` method by :func:`run_workers`; the processes meet through a file in a fresh temporary
folder (``init_method="file://..."``, so pages running side by side never fight over a port) and
talk through the **gloo** backend over the loopback interface. On a machine with CUDA GPUs the
same code runs with ``backend="nccl"``, one GPU per rank. Spawned processes import the function
they run by name, so every worker function lives here, not in a notebook; workers hand their
results back as NumPy arrays and plain Python values.

Data parallelism in one formula: with a minibatch $\mathcal B$ split into $k$ equal shares
$\mathcal B_1,\dots,\mathcal B_k$ of $b = |\mathcal B|/k$ examples,

$$\nabla_{\mathbf w}\frac1{|\mathcal B|}\sum_{i\in\mathcal B}\ell_i
  = \frac1k\sum_{j=1}^k\nabla_{\mathbf w}\frac1b\sum_{i\in\mathcal B_j}\ell_i ,$$

so $k$ replicas that each back-propagate their share, **all-reduce** (sum) the gradients and
divide by $k$ hold exactly the full-batch gradient and take the same optimizer step.
"""

from __future__ import annotations

import os
import pickle
import shutil
import socket
import sys
import tempfile
import time
import timeit
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.multiprocessing.spawn import ProcessExitedException, ProcessRaisedException
from torch.nn import functional as F

from ..history import History
from ..seed import data_generator

__all__ = [
    "WorkerError", "run_workers", "whoami",
    "allreduce_grads", "ring_allreduce", "ps_allreduce", "ALLREDUCE_METHODS", "allreduce_results",
    "allreduce_timings", "fit_latency_bandwidth",
    "sgd_momentum_", "DPConfig", "DPData", "DPRun", "batch_order", "train_data_parallel", "train_single_process",
]


# ---------------------------------------------------------------------------------------------
# Launching
# ---------------------------------------------------------------------------------------------

class WorkerError(RuntimeError):
    """A worker process failed; the message names its rank and ends with its traceback."""


def _to_plain(value):
    """Tensors → NumPy arrays, recursively through dicts, lists and tuples."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_plain(v) for v in value)
    return value


def _entry(rank: int, fn: Callable, world_size: int, folder: str, backend: str, timeout: float) -> None:
    """What every spawned process runs: join the group, call ``fn``, save its result."""
    torch.set_num_threads(1)  # one thread per process: the build's 2 cores are shared, not oversubscribed
    if backend == "gloo" and "GLOO_SOCKET_IFNAME" not in os.environ and any(
            name == "lo" for _, name in socket.if_nameindex()):
        os.environ["GLOO_SOCKET_IFNAME"] = "lo"  # all ranks live on this machine
    if backend == "nccl":
        torch.cuda.set_device(rank)
    dist.init_process_group(backend, init_method=f"file://{folder}/rendezvous", rank=rank,
                            world_size=world_size, timeout=timedelta(seconds=timeout))
    try:
        with open(Path(folder) / "args.pkl", "rb") as f:
            args = pickle.load(f)
        result = _to_plain(fn(rank, world_size, *args))
        torch.save(result, Path(folder) / f"result-{rank}.pt")
    except BaseException:  # the time tells the parent which rank failed first (the cause)
        (Path(folder) / f"error-{rank}.txt").write_text(f"{time.time()!r}\n{traceback.format_exc()}")
        raise
    finally:
        dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # done and saved: skip the interpreter's teardown of torch (about 0.5-1 s)


def _failure(fn: Callable, world_size: int, folder: str, fallback: str) -> WorkerError:
    """One error naming the rank that failed first; peers that failed after it are listed."""
    errors = []
    for path in Path(folder).glob("error-*.txt"):
        when, text = path.read_text().split("\n", 1)
        errors.append((float(when), int(path.stem.split("-")[1]), text.strip()))
    if not errors:
        return WorkerError(fallback)
    errors.sort()
    _, rank, text = errors[0]
    message = f"rank {rank} of {world_size} failed in {fn.__name__}: {text.splitlines()[-1]}"
    if len(errors) > 1:
        message += f" (then rank {', '.join(str(r) for _, r, _ in errors[1:])} failed as well)"
    return WorkerError(f"{message}\n\n{text}")


# --8<-- [start:run-workers]
def run_workers(fn: Callable, world_size: int, *args, backend: str = "gloo",
                timeout: float = 120.0) -> list:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` fresh processes; their results in rank order.

    Each process gets one intra-op thread and joins a process group (``backend``: ``"gloo"``,
    or ``"nccl"`` with one CUDA GPU per rank) that meets through a file in a new temporary
    folder. ``fn`` must be importable (a module-level function): ``spawn`` starts a new
    interpreter that imports it by name. Tensors in the results come back as NumPy arrays.

    Raises :class:`WorkerError` naming the rank when a worker raises or dies (the other workers
    are stopped), and :class:`TimeoutError` when they are not all done within ``timeout`` seconds.
    The torch twin is ``torch.multiprocessing.spawn(fn, nprocs=world_size)`` (no results, no timeout).
    """
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive integer, got {world_size!r}")
    if backend not in ("gloo", "nccl"):
        raise ValueError(f"backend must be 'gloo' or 'nccl', got {backend!r}")
    if backend == "nccl" and (not torch.cuda.is_available() or torch.cuda.device_count() < world_size):
        raise ValueError(f"nccl needs {world_size} CUDA GPUs (one per rank); "
                         f"this machine has {torch.cuda.device_count() if torch.cuda.is_available() else 0}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    folder = tempfile.mkdtemp(prefix="dlnotes-dist-")  # a fresh rendezvous file per launch
    try:
        # The arguments go through a file: spawn pipes them to each child before the next one
        # starts, and a large payload would make process 1 wait for process 0 to import torch.
        with open(Path(folder) / "args.pkl", "wb") as f:
            pickle.dump(args, f, protocol=pickle.HIGHEST_PROTOCOL)
        context = mp.start_processes(_entry, args=(fn, world_size, folder, backend, timeout),
                                     nprocs=world_size, join=False, start_method="spawn")
        deadline = time.monotonic() + timeout
        try:
            while not context.join(timeout=0.1, grace_period=1.0):
                if time.monotonic() > deadline:
                    running = [r for r, p in enumerate(context.processes) if p.is_alive()]
                    for p in context.processes:
                        p.kill()
                        p.join()
                    raise TimeoutError(f"{fn.__name__}: ranks {running} of {world_size} still "
                                       f"running after {timeout:g} s; stopped them")
        except ProcessExitedException as e:  # killed by a signal or os._exit
            raise _failure(fn, world_size, folder, f"rank {e.error_index} of {world_size} died in "
                           f"{fn.__name__} (exit code {e.exit_code}, signal {e.signal_name})") from None
        except ProcessRaisedException as e:  # a worker raised; the others were stopped
            raise _failure(fn, world_size, folder, f"rank {e.error_index} of {world_size} failed "
                           f"in {fn.__name__}:\n{e.msg.strip()}") from None
        return [torch.load(Path(folder) / f"result-{rank}.pt", weights_only=False)
                for rank in range(world_size)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
# --8<-- [end:run-workers]


def whoami(rank: int, world_size: int, fail_on: int | None = None) -> dict:
    """A worker that reports who it is: rank, world size, backend, process id, threads.

    With ``fail_on=r`` rank ``r`` raises while the others wait at a barrier (a failing worker
    must not leave the others hanging).
    """
    if rank == fail_on:
        raise RuntimeError(f"rank {rank} fails on purpose")
    dist.barrier()
    return {"rank": dist.get_rank(), "world_size": dist.get_world_size(),
            "backend": dist.get_backend(), "pid": os.getpid(), "threads": torch.get_num_threads()}


# ---------------------------------------------------------------------------------------------
# All-reduce three ways
# ---------------------------------------------------------------------------------------------

# --8<-- [start:allreduce-grads]
def allreduce_grads(params: Sequence[torch.Tensor], world_size: int, flatten: bool = True) -> None:
    r"""Replace every ``p.grad`` by its mean over the replicas: $\mathbf g \leftarrow \frac1k\sum_j \mathbf g_j$.

    ``flatten=True`` packs all gradients into one vector first, so the whole model costs one
    message (one latency) instead of one per tensor. Torch twin: what
    ``DistributedDataParallel`` does in its backward hooks (in buckets of about 25 MB).
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not flatten:
        for g in grads:
            dist.all_reduce(g)  # sum over ranks, in place
            g /= world_size
        return
    flat = torch.cat([g.reshape(-1) for g in grads])  # (total number of gradient entries,)
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))  # back to the parameter's shape
        offset += g.numel()
# --8<-- [end:allreduce-grads]


# --8<-- [start:ring-allreduce]
def ring_allreduce(tensor: torch.Tensor) -> torch.Tensor:
    r"""Sum ``tensor`` over all ranks in place with point-to-point messages around a ring.

    The tensor is cut into $k$ chunks. **Reduce-scatter**: in step $s=0,\dots,k-2$ rank $r$ sends
    chunk $(r-s) \bmod k$ to rank $r+1$ and adds the chunk $(r-s-1) \bmod k$ it receives from
    rank $r-1$; afterwards rank $r$ holds the full sum of chunk $(r+1) \bmod k$. **All-gather**:
    $k-1$ more steps pass the finished chunks on. Each rank sends $2(k-1)/k \cdot n$ numbers
    in total, whatever $k$. Torch twin: ``dist.all_reduce(tensor)``. Any shape; returns ``tensor``.
    """
    k, rank = dist.get_world_size(), dist.get_rank()
    if k == 1:
        return tensor
    if not tensor.is_contiguous():
        raise ValueError("ring_allreduce works in place and needs a contiguous tensor")
    chunks = list(torch.tensor_split(tensor.view(-1), k))  # k views of nearly equal length
    right, left = (rank + 1) % k, (rank - 1) % k
    for s in range(k - 1):  # reduce-scatter
        send, recv = chunks[(rank - s) % k], chunks[(rank - s - 1) % k]
        incoming = torch.empty_like(recv)
        request = dist.isend(send, right)  # send without waiting, or every rank would block
        dist.recv(incoming, left)
        request.wait()
        recv += incoming
    for s in range(k - 1):  # all-gather: the finished chunk travels on around the ring
        send, recv = chunks[(rank + 1 - s) % k], chunks[(rank - s) % k]
        request = dist.isend(send, right)
        dist.recv(recv, left)
        request.wait()
    return tensor
# --8<-- [end:ring-allreduce]


# --8<-- [start:ps-allreduce]
def ps_allreduce(tensor: torch.Tensor, server: int = 0) -> torch.Tensor:
    """Sum ``tensor`` over all ranks in place through one *parameter server* (rank ``server``).

    Every worker sends its whole tensor to the server, the server adds them up and sends the sum
    back to each worker: the server's link carries $2(k-1)n$ numbers. Torch twin:
    ``dist.reduce(tensor, dst=server)`` followed by ``dist.broadcast(tensor, src=server)``.
    """
    k, rank = dist.get_world_size(), dist.get_rank()
    if not 0 <= server < k:
        raise ValueError(f"server must be a rank in 0..{k - 1}, got {server}")
    if rank == server:
        incoming = torch.empty_like(tensor)
        for worker in range(k):
            if worker != server:
                dist.recv(incoming, worker)  # one worker's tensor at a time
                tensor += incoming
        for worker in range(k):
            if worker != server:
                dist.send(tensor, worker)
    else:
        dist.send(tensor, server)
        dist.recv(tensor, server)
    return tensor
# --8<-- [end:ps-allreduce]


def _gloo_allreduce(tensor: torch.Tensor) -> torch.Tensor:
    dist.all_reduce(tensor)
    return tensor


ALLREDUCE_METHODS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "all_reduce": _gloo_allreduce, "ring": ring_allreduce, "ps": ps_allreduce,
}


def _check_methods(methods: Sequence[str]) -> list[str]:
    unknown = [m for m in methods if m not in ALLREDUCE_METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown all-reduce methods {unknown}; choose from {list(ALLREDUCE_METHODS)}")
    return list(methods)


def _device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" \
        else torch.device("cpu")


def _allreduce_worker(rank: int, world_size: int, data: np.ndarray, methods: list[str]) -> dict:
    out = {}
    for name in methods:
        tensor = torch.from_numpy(data[rank].copy()).to(_device())  # this rank's contribution
        out[name] = ALLREDUCE_METHODS[name](tensor)
    out["pid"], out["threads"] = os.getpid(), torch.get_num_threads()
    return out


def allreduce_results(data: np.ndarray, methods: Sequence[str] = tuple(ALLREDUCE_METHODS), *,
                      backend: str = "gloo") -> dict[str, np.ndarray]:
    """All-reduce ``data[r]`` from rank ``r`` with each method; what every rank ends up holding.

    Shapes: ``data`` ``(world_size, *shape)`` → ``{method: (world_size, *shape)}``, each row
    should equal ``data.sum(axis=0)``; ``"pid"`` and ``"threads"`` give each rank's process id
    and intra-op threads.
    """
    data = np.asarray(data)
    if data.ndim < 2:
        raise ValueError(f"data must be (world_size, ...), one row per rank; got shape {data.shape}")
    methods = _check_methods(methods)
    results = run_workers(_allreduce_worker, data.shape[0], data, methods, backend=backend)
    out = {m: np.stack([r[m] for r in results]) for m in methods}
    out["pid"] = np.array([r["pid"] for r in results])
    out["threads"] = np.array([r["threads"] for r in results])
    return out


def _timing_worker(rank: int, world_size: int, sizes: list[int], methods: list[str],
                   repeat: int) -> dict:
    out = {}
    for name in methods:
        allreduce, seconds = ALLREDUCE_METHODS[name], []
        for n in sizes:
            tensor = torch.ones(n, device=_device())
            calls = max(repeat, min(50, 2**22 // n))  # the same on every rank: collectives must match
            allreduce(tensor)  # warm-up (connections, buffers)
            dist.barrier()
            runs = timeit.repeat(lambda t=tensor, f=allreduce: f(t), number=1, repeat=calls)
            seconds.append(float(np.median(runs)))  # per call; the median shrugs off a rare stall
        out[name] = np.array(seconds)
    return out


def allreduce_timings(sizes: Sequence[int], world_size: int = 2,
                      methods: Sequence[str] = ("all_reduce",), *, repeat: int = 5,
                      backend: str = "gloo") -> dict[str, np.ndarray]:
    """Seconds per all-reduce of ``n`` float32 numbers, for each ``n`` in ``sizes`` and each method.

    Each call is timed alone with ``timeit.repeat`` on every rank (at least ``repeat`` calls, up
    to 50 for short messages; a number fixed in advance and the same everywhere, as collectives
    must match up); rank 0's median is returned.
    Shapes: ``{method: (len(sizes),)}``.
    """
    sizes = [int(n) for n in sizes]
    if not sizes or min(sizes) < 1:
        raise ValueError(f"sizes must be positive numbers of elements, got {sizes}")
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    return run_workers(_timing_worker, world_size, sizes, _check_methods(methods), repeat,
                       backend=backend)[0]


def fit_latency_bandwidth(nbytes: Sequence[float], seconds: Sequence[float]) -> tuple[float, float]:
    r"""Fit $t = \alpha + n/\beta$: latency $\alpha$ (s) and bandwidth $\beta$ (bytes/s).

    Least squares on the *relative* error $(\alpha + n/\beta - t)/t$, so that microsecond
    messages count as much as the 100 ms ones (a plain fit would see only the largest sizes).
    """
    nbytes, seconds = np.asarray(nbytes, float), np.asarray(seconds, float)
    if nbytes.shape != seconds.shape or nbytes.ndim != 1 or nbytes.size < 2:
        raise ValueError(f"need two equally long 1-d sequences of at least 2 points, got "
                         f"{nbytes.shape} and {seconds.shape}")
    if (seconds <= 0).any():
        raise ValueError("times must be positive")
    slope, alpha = np.polyfit(nbytes, seconds, 1, w=1 / seconds)
    if slope <= 0:
        raise ValueError("time does not grow with the message size: no bandwidth to fit")
    return float(alpha), float(1 / slope)


# ---------------------------------------------------------------------------------------------
# Data-parallel training
# ---------------------------------------------------------------------------------------------

# --8<-- [start:sgd]
def sgd_momentum_(params: Sequence[torch.Tensor], velocities: Sequence[torch.Tensor], lr: float,
                  momentum: float) -> None:
    r"""One SGD step with momentum, in place: $\mathbf v \leftarrow \mu\mathbf v + \mathbf g$, $\mathbf w \leftarrow \mathbf w - \eta\mathbf v$.

    Torch twin: ``torch.optim.SGD(params, lr, momentum)`` (velocities start at 0). Written by
    hand here because a worker that touches ``torch.optim`` first imports ``torch._dynamo``,
    about 3 s per process.
    """
    with torch.no_grad():
        for p, v in zip(params, velocities, strict=True):
            v.mul_(momentum).add_(p.grad)
            p.sub_(v, alpha=lr)
# --8<-- [end:sgd]


@dataclass(frozen=True)
class DPConfig:
    """How one data-parallel run trains (the same on every rank).

    ``model`` is a picklable zero-argument factory (e.g. ``dlnotes.models.lenet.lenet_relu``);
    ``batch_size`` is the *global* minibatch, split evenly over the ranks; the optimizer is
    SGD with momentum (:func:`sgd_momentum_`). ``mode`` is ``"scratch"`` (gradients averaged by
    :func:`allreduce_grads`) or ``"ddp"`` (``DistributedDataParallel``); ``flatten`` chooses one
    message or one per tensor in scratch mode; ``threads`` is the intra-op threads per rank;
    ``snapshots`` lists the steps after which rank 0 keeps a copy of the parameters.
    """

    model: Callable[[], nn.Module]
    batch_size: int
    lr: float
    momentum: float = 0.0
    mode: str = "scratch"
    flatten: bool = True
    channels_last: bool = True
    threads: int = 1
    snapshots: tuple[int, ...] = ()

    def __post_init__(self):
        if self.batch_size < 1 or self.lr <= 0 or not 0 <= self.momentum < 1 or self.threads < 1:
            raise ValueError(f"bad DPConfig: batch_size {self.batch_size}, lr {self.lr}, "
                             f"momentum {self.momentum}, threads {self.threads}")
        if self.mode not in ("scratch", "ddp"):
            raise ValueError(f"mode must be 'scratch' or 'ddp', got {self.mode!r}")


@dataclass(frozen=True)
class DPData:
    """Training (and optional test) data as NumPy arrays, and the global batches of every step.

    Shapes: ``X`` ``(N, C, H, W)`` float32, ``y`` ``(N,)`` int64, ``order`` ``(steps, B)``
    indices into ``X`` (step ``t`` trains on ``X[order[t]]``); an epoch is ``steps_per_epoch``
    steps, and test accuracy is measured after each one when ``X_test``/``y_test`` are given.
    """

    X: np.ndarray
    y: np.ndarray
    order: np.ndarray
    steps_per_epoch: int
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    def __post_init__(self):
        if len(self.X) != len(self.y):
            raise ValueError(f"X and y have different lengths: {len(self.X)} vs {len(self.y)}")
        if self.order.ndim != 2 or self.order.size == 0:
            raise ValueError(f"order must be (steps, batch_size), got shape {self.order.shape}")
        if self.order.min() < 0 or self.order.max() >= len(self.X):
            raise ValueError(f"order indexes outside 0..{len(self.X) - 1}")
        if self.steps_per_epoch < 1 or len(self.order) % self.steps_per_epoch:
            raise ValueError(f"{len(self.order)} steps are not whole epochs of {self.steps_per_epoch}")
        if (self.X_test is None) != (self.y_test is None):
            raise ValueError("give both X_test and y_test, or neither")


def batch_order(num_examples: int, batch_size: int, num_epochs: int, seed: int = 0) -> np.ndarray:
    """Each epoch a fresh shuffle of ``range(num_examples)`` cut into whole batches (the rest dropped).

    Drawn from :func:`dlnotes.seed.data_generator`. Shape ``(num_epochs * (num_examples // batch_size), batch_size)``.
    """
    if batch_size < 1 or num_epochs < 1 or num_examples < batch_size:
        raise ValueError(f"need 1 <= batch_size <= num_examples and num_epochs >= 1; got "
                         f"{num_examples} examples, batch {batch_size}, {num_epochs} epochs")
    generator, per_epoch = data_generator(seed), num_examples // batch_size
    epochs = [torch.randperm(num_examples, generator=generator)[:per_epoch * batch_size]
              for _ in range(num_epochs)]
    return torch.cat(epochs).view(-1, batch_size).numpy()  # (steps, B)


@dataclass
class DPRun:
    """One run: per-epoch history, per-step loss on the global batch, final parameters, speed.

    ``state`` is rank 0's ``state_dict`` (NumPy); ``replica_gap`` the largest difference between
    any rank's parameters and rank 0's (0 when the replicas stayed in step; batch-norm running
    statistics are local to each rank and not compared);
    ``examples_per_sec`` counts every step but the first (warm-up); ``comm_seconds`` is the
    time spent in the hand-written all-reduce (scratch mode; it includes waiting for the slower rank);
    ``snapshots`` maps a step (``DPConfig.snapshots``) to rank 0's ``state_dict`` after it;
    ``parameter_names`` says which entries of a ``state_dict`` are parameters (the rest are buffers).
    """

    history: History
    step_losses: np.ndarray
    state: dict[str, np.ndarray]
    examples_per_sec: float
    comm_seconds: float
    replica_gap: float
    world_size: int
    snapshots: dict[int, dict[str, np.ndarray]]
    parameter_names: tuple[str, ...]

    def max_difference(self, other: DPRun, step: int | None = None) -> float:
        """Largest absolute difference between the two runs' parameters (after ``step``, default the end).

        Buffers (batch-norm running statistics, counters) are left out.
        """
        mine = self.state if step is None else self.snapshots[step]
        theirs = other.state if step is None else other.snapshots[step]
        return max(float(np.abs(mine[k].astype(np.float64) - theirs[k]).max(initial=0.0))
                   for k in self.parameter_names)

    def parameter_scale(self) -> float:
        """The largest absolute parameter value at the end: the yardstick for :meth:`max_difference`."""
        return max(float(np.abs(self.state[k]).max(initial=0.0)) for k in self.parameter_names)


def _layout(X: torch.Tensor, config: DPConfig) -> torch.Tensor:
    return X.contiguous(memory_format=torch.channels_last) if config.channels_last and X.dim() == 4 else X


def _evaluate(net: nn.Module, X: np.ndarray, y: np.ndarray, config: DPConfig, device) -> tuple[int, int]:
    """Correct predictions and count on this share of the test set."""
    net.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(y), 1024):
            xb = _layout(torch.from_numpy(X[start:start + 1024]).to(device), config)
            correct += int((net(xb).argmax(dim=1).cpu().numpy() == y[start:start + 1024]).sum())
    net.train()
    return correct, len(y)


def _train(config: DPConfig, init_state: dict, data: DPData, rank: int, world_size: int,
           device: torch.device | None = None) -> dict:
    """The training loop of one replica (``world_size == 1`` and no process group: plain training)."""
    device = _device() if dist.is_initialized() else torch.device(device or "cpu")
    net = config.model()
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in init_state.items()})
    net = net.to(device, memory_format=torch.channels_last if config.channels_last else torch.contiguous_format)
    # --8<-- [start:ddp]
    model = net
    if config.mode == "ddp" and dist.is_initialized():
        # copies rank 0's parameters and buffers to every rank, then hooks every gradient: during
        # backward, each ~25 MB bucket of finished gradients is all-reduced (and divided by k)
        # while the earlier layers are still being differentiated
        model = nn.parallel.DistributedDataParallel(net)
    # --8<-- [end:ddp]
    params = [p for p in net.parameters() if p.requires_grad]
    velocities = [torch.zeros_like(p) for p in params]
    X, y = torch.from_numpy(data.X), torch.from_numpy(data.y)
    b = config.batch_size // world_size
    sync = config.mode == "scratch" and world_size > 1
    losses, correct, step_end, comm, tests, snapshots = [], [], [], 0.0, [], {}
    start = time.perf_counter()
    for t, idx in enumerate(data.order):
        # --8<-- [start:dp-step]
        local = torch.from_numpy(idx[rank * b:(rank + 1) * b])  # this replica's share of the batch
        xb, yb = _layout(X[local].to(device), config), y[local].to(device)  # (b, 1, 28, 28), (b,)
        for p in params:
            p.grad = None
        y_hat = model(xb)  # (b, classes): only this replica's b = B / k examples
        loss = F.cross_entropy(y_hat, yb)  # mean over the local share
        loss.backward()  # DDP: its hooks all-reduce gradient buckets while backward runs
        if sync:  # scratch: average the gradients by hand, then every replica holds the same one
            t0 = time.perf_counter()
            allreduce_grads(params, world_size, flatten=config.flatten)
            comm += time.perf_counter() - t0
        sgd_momentum_(params, velocities, config.lr, config.momentum)  # same gradient → same update
        # --8<-- [end:dp-step]
        losses.append(loss.item())
        correct.append(int((y_hat.argmax(dim=1) == yb).sum()))
        step_end.append(time.perf_counter())
        if t + 1 in config.snapshots:
            snapshots[t + 1] = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
        if (t + 1) % data.steps_per_epoch == 0 and data.X_test is not None:
            t0 = time.perf_counter()
            if world_size > 1:  # batch-norm statistics are local: evaluate with rank 0's everywhere
                for buffer in net.buffers():
                    dist.broadcast(buffer, 0)
            share = np.array_split(np.arange(len(data.y_test)), world_size)[rank]
            tests.append(_evaluate(net, data.X_test[share], data.y_test[share], config, device))
            pause = time.perf_counter() - t0  # evaluation does not count as training time
            start += pause
            step_end = [s + pause for s in step_end]
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    return {"losses": np.array(losses), "correct": np.array(correct), "comm": comm, "tests": tests,
            "step_end": np.array(step_end) - start, "snapshots": snapshots, "state": state,
            "parameter_names": tuple(name for name, _ in net.named_parameters())}


def _combine(parts: list[dict], config: DPConfig, data: DPData, world_size: int) -> DPRun:
    """Per-rank results → one run: losses averaged over ranks (equal shares), counts summed."""
    losses = np.mean([p["losses"] for p in parts], axis=0)  # (steps,) mean loss on the global batch
    correct = np.sum([p["correct"] for p in parts], axis=0)
    step_end = parts[0]["step_end"]
    spe, B, records = data.steps_per_epoch, config.batch_size, []
    for e in range(len(losses) // spe):
        steps = slice(e * spe, (e + 1) * spe)
        begin = step_end[e * spe - 1] if e else 0.0
        seconds = float(step_end[(e + 1) * spe - 1] - begin)
        record = {"epoch": e + 1, "train_loss": float(losses[steps].mean()),
                  "train_acc": float(correct[steps].sum() / (spe * B)),
                  "seconds": seconds, "examples_per_sec": spe * B / seconds}
        if parts[0]["tests"]:
            record["test_acc"] = sum(p["tests"][e][0] for p in parts) / sum(p["tests"][e][1] for p in parts)
        records.append(record)
    steady = (len(losses) - 1) * B / (step_end[-1] - step_end[0]) if len(losses) > 1 else B / step_end[0]
    gap = max((float(np.abs(p["state"][k].astype(np.float64) - parts[0]["state"][k]).max(initial=0.0))
               for p in parts[1:] for k in p["parameter_names"]), default=0.0)  # buffers may differ
    return DPRun(History(records), losses, parts[0]["state"], float(steady),
                 float(parts[0]["comm"]), gap, world_size, parts[0]["snapshots"],
                 parts[0]["parameter_names"])


def _check_run(config: DPConfig, data: DPData, world_size: int) -> None:
    if data.order.shape[1] != config.batch_size:
        raise ValueError(f"order has batches of {data.order.shape[1]}, config says {config.batch_size}")
    if config.batch_size % world_size:
        raise ValueError(f"batch size {config.batch_size} does not split evenly over {world_size} ranks")
    if any(not 1 <= k <= len(data.order) for k in config.snapshots):
        raise ValueError(f"snapshot steps {config.snapshots} outside 1..{len(data.order)}")


def _dp_worker(rank: int, world_size: int, configs: list[DPConfig], init_state: dict,
               data: DPData) -> list[dict]:
    out = []
    for config in configs:
        torch.set_num_threads(config.threads)
        out.append(_train(config, init_state, data, rank, world_size))
        torch.set_num_threads(1)
    return out


def _state_of(net_or_state) -> dict[str, np.ndarray]:
    if isinstance(net_or_state, nn.Module):
        net_or_state = net_or_state.state_dict()
    return {k: v.detach().cpu().numpy().copy() if isinstance(v, torch.Tensor) else np.asarray(v)
            for k, v in net_or_state.items()}


def train_data_parallel(configs: DPConfig | Sequence[DPConfig], world_size: int, init,
                        data: DPData, *, backend: str = "gloo", timeout: float = 600.0) -> DPRun | list[DPRun]:
    """Train with ``world_size`` replica processes, one run per config, all in one launch.

    ``init`` is the starting point (a module or a ``state_dict``), the same on every rank. Every
    run sees the same batches (``data.order``); rank ``r`` trains on slice ``r`` of each. Returns
    one :class:`DPRun` per config (a single one for a single config).
    """
    single = isinstance(configs, DPConfig)
    configs = [configs] if single else list(configs)
    if not configs:
        raise ValueError("no configs to run")
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive integer, got {world_size!r}")
    for config in configs:
        _check_run(config, data, world_size)
        if config.threads * world_size > (os.cpu_count() or 1) and config.threads > 1:
            raise ValueError(f"{world_size} ranks × {config.threads} threads oversubscribe "
                             f"{os.cpu_count()} cores")
    parts = run_workers(_dp_worker, world_size, configs, _state_of(init), data,
                        backend=backend, timeout=timeout)
    runs = [_combine([p[i] for p in parts], c, data, world_size) for i, c in enumerate(configs)]
    return runs[0] if single else runs


def train_single_process(config: DPConfig, init, data: DPData, device=None) -> DPRun:
    """The reference: the same steps on the whole batch, in this process, without any process group.

    Runs on ``device`` (default the CPU) with ``config.threads`` intra-op threads and restores the
    caller's thread count afterwards.
    """
    _check_run(config, data, 1)
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        part = _to_plain(_train(config, _state_of(init), data, 0, 1, device))
    finally:
        torch.set_num_threads(threads)
    return _combine([part], config, data, 1)
