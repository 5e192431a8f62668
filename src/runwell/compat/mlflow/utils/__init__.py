"""``mlflow.utils``: the constants tools read from it (validation limits, tag keys, time)."""
