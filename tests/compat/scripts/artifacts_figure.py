"""log_figure with a matplotlib figure, and log_image with a numpy array."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import mlflow
import numpy as np

mlflow.set_experiment("artifacts-figure")

with mlflow.start_run(run_name="figure"):
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [2, 1, 3])
    mlflow.log_figure(fig, "figures/line.png")
    plt.close(fig)
    image = np.zeros((8, 8, 3), dtype=np.uint8)
    image[2:6, 2:6] = 255
    mlflow.log_image(image, "images/square.png")
