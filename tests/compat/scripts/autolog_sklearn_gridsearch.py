"""sklearn autologging around GridSearchCV: a parent run and child runs per candidate."""

import mlflow
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

mlflow.set_experiment("autolog-sklearn-gridsearch")
mlflow.sklearn.autolog(max_tuning_runs=4)

X, y = load_iris(return_X_y=True)
search = GridSearchCV(
    DecisionTreeClassifier(random_state=0),
    {"max_depth": [1, 3], "min_samples_leaf": [1, 5]},
    cv=2,
)
with mlflow.start_run(run_name="grid"):
    search.fit(X[::2], y[::2])
