"""The benchmark harness: row shapes and workloads, one adapter module per library, reporting."""
