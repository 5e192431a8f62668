"""The tracking server: MLflow's REST API and artifact proxy over runwell's stores.

``runwell.server.app.create_app`` builds the app. This package module re-exports nothing, so
that the CLI can read ``runwell.server.config`` without loading FastAPI.
"""
