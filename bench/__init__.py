"""Hark benchmarks: accuracy and throughput of the service against faster-whisper called directly.

Run them with `make bench` (both) or `python -m bench.accuracy` / `python -m bench.throughput`.
"""
