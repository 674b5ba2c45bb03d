"""CPUs the process may use: affinity and the container's quota, not the host's core count."""

import os

import pytest
import torch

from mnist_core.jobs.local import default_slots
from mnist_core.training.devices import size_thread_pool, usable_cpus


def affinity() -> int:
    return len(os.sched_getaffinity(0))


def test_cgroup_v2_quota_caps_the_count(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # 1.5 CPUs: two threads share the time
    assert usable_cpus(tmp_path) == min(affinity(), 2)
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a CPU: still one thread
    assert usable_cpus(tmp_path) == 1


def test_unlimited_quota_leaves_the_affinity(tmp_path):
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert usable_cpus(tmp_path) == affinity()
    assert usable_cpus(tmp_path / "missing") == affinity()  # no cgroup files at all (macOS, bare metal)


def test_cgroup_v1_quota(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert usable_cpus(tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")  # v1's "unlimited"
    assert usable_cpus(tmp_path) == affinity()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="affinity masks are Linux-only")
def test_affinity_mask_is_respected():
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert usable_cpus() == 1
    finally:
        os.sched_setaffinity(0, before)


def test_slots_and_pool_follow_the_usable_cpus():
    assert default_slots(1) == (1, 1) or torch.cuda.is_available()
    jobs, threads = default_slots(8)
    if not torch.cuda.is_available():
        assert (jobs, threads) == (4, 2)
    before = torch.get_num_threads()
    try:
        assert size_thread_pool(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_wide_pool_widens_torchs_threads_for_its_passes_and_narrows_them_after_the_last():
    import threading

    from mnist_core.training.devices import wide_pool

    def fresh() -> int:  # what a new thread gets (each rerun of a page runs in a new one)
        got = []
        t = threading.Thread(target=lambda: got.append(torch.get_num_threads()))
        t.start()
        t.join(10)
        return got[0]

    size_thread_pool(1)  # the pages' one
    try:
        with wide_pool(3):
            assert torch.get_num_threads() == 3 and fresh() == 3
            inside, go_on = threading.Event(), threading.Event()

            def other():  # another visitor's pass, overlapping this one and outliving it
                with wide_pool(3):
                    inside.set()
                    go_on.wait(10)

            t = threading.Thread(target=other)
            t.start()
            assert inside.wait(10)
        assert fresh() == 3  # the other pass still runs: still wide
        go_on.set()
        t.join(10)
        assert fresh() == 1  # the last pass ended: back to the pages' one
        with pytest.raises(RuntimeError), wide_pool(2):
            raise RuntimeError("a pass that fails")
        assert fresh() == 1 and torch.get_num_threads() == 1  # narrowed again all the same
    finally:
        size_thread_pool(2)
