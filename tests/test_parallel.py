"""recipes.parallel: real processes (spawn, gloo on the CPU). Each launch costs 2-3 s, so the
checks are grouped into few launches on tiny models and batches."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import torch

from dlnotes.models.lenet import lenet_relu
from dlnotes.recipes import parallel as P


def test_bad_input_fails_loudly_before_any_process_starts():
    with pytest.raises(ValueError, match="world_size"):
        P.run_workers(P.whoami, 0)
    with pytest.raises(ValueError, match="world_size"):
        P.run_workers(P.whoami, 2.0)
    with pytest.raises(ValueError, match="backend"):
        P.run_workers(P.whoami, 2, backend="mpi")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA GPUs"):
            P.run_workers(P.whoami, 2, backend="nccl")
    with pytest.raises(ValueError, match="one row per rank"):
        P.allreduce_results(np.ones(4))
    with pytest.raises(ValueError, match="unknown all-reduce"):
        P.allreduce_results(np.ones((2, 4)), methods=["tree"])
    with pytest.raises(ValueError, match="sizes"):
        P.allreduce_timings([0, 8])
    with pytest.raises(ValueError, match="mode"):
        P.DPConfig(lenet_relu, 64, 0.1, mode="horovod")
    with pytest.raises(ValueError, match="bad DPConfig"):
        P.DPConfig(lenet_relu, 64, lr=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        P.batch_order(10, 16, 1)
    X, y = np.zeros((30, 1, 28, 28), np.float32), np.zeros(30, np.int64)
    with pytest.raises(ValueError, match="whole epochs"):
        P.DPData(X, y, P.batch_order(30, 10, 1), steps_per_epoch=2)
    with pytest.raises(ValueError, match="outside"):
        P.DPData(X, y, np.full((1, 10), 30), steps_per_epoch=1)
    data = P.DPData(X, y, P.batch_order(30, 10, 1), steps_per_epoch=3)
    with pytest.raises(ValueError, match="does not split evenly over 3 ranks"):
        P.train_data_parallel(P.DPConfig(lenet_relu, 10, 0.1), 3, lenet_relu(), data)
    with pytest.raises(ValueError, match="config says 20"):
        P.train_single_process(P.DPConfig(lenet_relu, 20, 0.1), lenet_relu(), data)
    with pytest.raises(ValueError, match="snapshot"):
        P.train_single_process(P.DPConfig(lenet_relu, 10, 0.1, snapshots=(4,)), lenet_relu(), data)
    with pytest.raises(ValueError, match="no bandwidth"):
        P.fit_latency_bandwidth([1, 2, 3], [3.0, 2.0, 1.0])


def test_fit_recovers_latency_and_bandwidth():
    n = np.array([1e3, 1e5, 1e7])
    alpha, beta = P.fit_latency_bandwidth(n, 2e-3 + n / 1.5e9)
    assert alpha == pytest.approx(2e-3, rel=1e-6) and beta == pytest.approx(1.5e9, rel=1e-6)


def test_sgd_momentum_matches_torch_optim():
    torch.manual_seed(0)
    w = [torch.randn(5, 3, requires_grad=True), torch.randn(3, requires_grad=True)]
    twin = [p.detach().clone().requires_grad_() for p in w]
    velocities = [torch.zeros_like(p) for p in w]
    optimizer = torch.optim.SGD(twin, lr=0.1, momentum=0.9)
    for _ in range(3):
        x = torch.randn(4, 5)
        for params in (w, twin):
            for p in params:
                p.grad = None
            ((x @ params[0] + params[1]) ** 2).sum().backward()
        P.sgd_momentum_(w, velocities, lr=0.1, momentum=0.9)
        optimizer.step()
    for a, b in zip(w, twin, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_allreduce_by_hand_equals_the_sum_on_two_processes():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((2, 3, 7)).astype(np.float32)  # 21 numbers: uneven ring chunks
    out = P.allreduce_results(data)
    expected = data[0] + data[1]
    for method in P.ALLREDUCE_METHODS:  # a + b is exact in any order: equal bit for bit
        assert out[method].shape == (2, 3, 7)
        np.testing.assert_array_equal(out[method][0], expected, err_msg=method)
        np.testing.assert_array_equal(out[method][1], expected, err_msg=method)
    assert len(set(out["pid"])) == 2 and os.getpid() not in out["pid"]  # real processes
    assert (out["threads"] == 1).all()  # one intra-op thread each


def test_ring_and_parameter_server_on_three_processes():
    data = np.random.default_rng(1).standard_normal((3, 10)).astype(np.float32)
    out = P.allreduce_results(data)
    for method in P.ALLREDUCE_METHODS:  # three addends: the order may differ by one rounding
        for rank in range(3):
            np.testing.assert_allclose(out[method][rank], data.sum(axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(out["ring"][0], out["ring"][2])  # every rank ends with the same


def _tiny_problem():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(128, 1, 28, 28, generator=g).numpy()
    y = torch.randint(0, 10, (128,), generator=g).numpy()
    order = P.batch_order(128, 32, 2)  # 4 steps per epoch, 8 in all
    torch.manual_seed(0)
    net = lenet_relu()
    return P.DPData(X, y, order, 4, X[:50], y[:50]), net


def test_data_parallel_sgd_equals_full_batch_sgd_and_ddp():
    data, net = _tiny_problem()
    configs = [P.DPConfig(lenet_relu, 32, 0.1, momentum=0.9, mode=m, flatten=f, snapshots=(1, 8))
               for m, f in (("scratch", True), ("scratch", False), ("ddp", True))]
    scratch, per_tensor, ddp = P.train_data_parallel(configs, 2, net, data)
    reference = P.train_single_process(configs[0], net, data)
    scale = reference.parameter_scale()
    for step in (1, 8):  # full-batch gradient = mean of the replicas' gradients, up to rounding
        assert scratch.max_difference(reference, step) < 1e-5 * scale
    np.testing.assert_allclose(scratch.step_losses, reference.step_losses, rtol=1e-5)
    assert scratch.replica_gap == 0.0 and ddp.replica_gap == 0.0  # replicas stay identical
    assert ddp.max_difference(scratch) < 1e-6 * scale
    assert per_tensor.max_difference(scratch) < 1e-6 * scale
    assert len(scratch.history) == 2 and 0 <= scratch.history.final["test_acc"] <= 1
    assert scratch.history.final["test_acc"] == pytest.approx(reference.history.final["test_acc"])
    assert scratch.comm_seconds > 0 and ddp.comm_seconds == 0 and scratch.examples_per_sec > 0


def test_a_failing_worker_raises_one_error_naming_its_rank():
    start = time.monotonic()
    with pytest.raises(P.WorkerError, match=r"rank 1 of 2 failed in whoami: RuntimeError: rank 1 fails"):
        P.run_workers(P.whoami, 2, 1)  # rank 0 waits at a barrier: it must be stopped, not hang
    assert time.monotonic() - start < 60


def test_workers_that_overrun_the_timeout_are_stopped():
    with pytest.raises(TimeoutError, match="still running"):
        P.run_workers(P.whoami, 2, timeout=0.3)  # importing torch alone takes longer


def test_allreduce_timings_shapes():
    out = P.allreduce_timings([16, 4096], 2, ("all_reduce", "ring", "ps"), repeat=1)
    assert set(out) == {"all_reduce", "ring", "ps"}
    for seconds in out.values():
        assert seconds.shape == (2,) and (seconds > 0).all() and (seconds < 1).all()
