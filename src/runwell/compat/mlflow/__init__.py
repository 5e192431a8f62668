"""What ``mlflow`` has beyond ``runwell``'s own names, under the alias (runwell.compat).

``mlflow.__version__`` is the MLflow release whose API runwell follows, with runwell's
version as a local label (``3.17.2+runwell.0.1.0``): tools compare it to pick MLflow
features (Hugging Face passes ``synchronous=`` from 2.8 on), and runwell has those.
"""

from runwell.compat.mlflow.version import VERSION

__version__ = VERSION
