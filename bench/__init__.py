"""The benchmark suite: ``python -m bench --people N`` (see bench/README.md)."""
