"""Benchmark harness of the agentbay SDK: ``python -m benchmarks.bench`` (or ``--quick``).

See docs/benchmarks.md.
"""
