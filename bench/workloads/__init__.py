"""runwell's side of each benchmark, one module per workload group (run by runwell_side.py)."""
