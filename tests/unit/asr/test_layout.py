"""How a process lays its engine over the cores."""

from sagemaker_jobs.asr.layout import one_decode_per_core


def test_on_a_cpu_each_core_runs_one_single_threaded_decode() -> None:
    env = one_decode_per_core({"HARK_DEVICE": "cpu", "OTHER": "kept"}, cores=2)

    assert env == {"HARK_DEVICE": "cpu", "OTHER": "kept", "HARK_ENGINE_WORKERS": "2", "HARK_CPU_THREADS": "1"}


def test_a_layout_set_by_the_operator_is_kept() -> None:
    assert one_decode_per_core({"HARK_DEVICE": "cpu", "HARK_CPU_THREADS": "2"}, cores=8) == {
        "HARK_DEVICE": "cpu",
        "HARK_CPU_THREADS": "2",
    }
    assert one_decode_per_core({"HARK_DEVICE": "cpu", "HARK_ENGINE_WORKERS": "1"}, cores=8)["HARK_ENGINE_WORKERS"] == "1"


def test_on_a_gpu_one_decode_at_a_time() -> None:
    assert one_decode_per_core({"HARK_DEVICE": "cuda"}, cores=8) == {"HARK_DEVICE": "cuda"}
