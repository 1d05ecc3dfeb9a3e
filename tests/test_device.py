"""Device helpers fall back to the CPU; GPU behaviour is checked only where CUDA exists."""

import pytest
import torch

from dlnotes.device import device_name, num_gpus, try_all_gpus, try_gpu

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_try_gpu_falls_back_to_cpu_for_missing_index():
    assert try_gpu(num_gpus() + 5) == torch.device("cpu")


def test_try_all_gpus_never_empty():
    devices = try_all_gpus()
    assert len(devices) == max(num_gpus(), 1)


def test_try_gpu_rejects_negative_index():
    with pytest.raises(ValueError, match="non-negative"):
        try_gpu(-1)


def test_device_name_of_cpu():
    assert device_name("cpu") == "CPU"


@pytest.mark.skipif(torch.cuda.is_available(), reason="CPU-only behaviour")
def test_without_cuda_everything_is_cpu():
    assert num_gpus() == 0
    assert try_gpu() == torch.device("cpu")
    assert try_all_gpus() == [torch.device("cpu")]


@needs_cuda
def test_model_on_gpu_gives_same_output_as_on_cpu():
    torch.manual_seed(0)
    net = torch.nn.Linear(8, 3)
    X = torch.randn(4, 8)
    expected = net(X)
    gpu = try_gpu()
    assert gpu.type == "cuda" and "cuda" in device_name(gpu)
    torch.testing.assert_close(net.to(gpu)(X.to(gpu)).cpu(), expected, rtol=1e-4, atol=1e-5)


def test_describe_machine_names_the_cpu_threads_and_gpus():
    from dlnotes.device import cpu_model, describe_machine

    info = describe_machine()
    assert info["CPU"] == cpu_model() and info["CPU"]
    assert int(info["torch 线程数"]) == torch.get_num_threads()
    assert int(info["可用核数"]) >= 1
    assert (info["GPU"] == "无") == (not torch.cuda.is_available())
