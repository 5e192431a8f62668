"""``mlflow.tracking``: runwell.tracking (MlflowClient) plus ``context`` from here."""
