"""Benchmark harness for the agentbay SDK carriers (HTTP transports).

Run ``python -m benchmarks.bench`` (or ``--quick``) from the repository root.
"""
