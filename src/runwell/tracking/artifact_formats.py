"""Serialising in-memory objects (text, dicts, figures, images, tables) into artifact bytes."""

from __future__ import annotations

import io
import json
import posixpath
from typing import Any

from runwell import yaml_dump
from runwell.errors import InvalidArgument


def dict_bytes(dictionary: Any, artifact_file: str) -> bytes:
    """JSON, or YAML when the file name ends in .yaml/.yml."""
    extension = posixpath.splitext(artifact_file)[1].lower()
    if extension in (".yaml", ".yml"):
        text = yaml_dump.safe_dump(dictionary, sort_keys=False, default_flow_style=False)
        return str(text).encode()
    return json.dumps(dictionary, indent=2, default=str).encode()


def figure_bytes(figure: Any, artifact_file: str) -> bytes:
    """A matplotlib or plotly figure, in the format the file extension names."""
    extension = posixpath.splitext(artifact_file)[1].lower().lstrip(".")
    buffer = io.BytesIO()
    module = type(figure).__module__
    if module.startswith("matplotlib"):
        figure.savefig(buffer, format=extension or "png")
        return buffer.getvalue()
    if module.startswith("plotly"):
        if extension == "html":
            return str(figure.to_html(include_plotlyjs="cdn")).encode()
        return bytes(figure.to_image(format=extension or "png"))
    raise InvalidArgument(
        f"Unsupported figure type {type(figure).__name__}: expected a matplotlib or plotly figure."
    )


def image_bytes(image: Any) -> bytes:
    """A PIL image or a numpy array (HW, HWC with 1/3/4 channels; float in [0,1] or ints) as PNG."""
    from PIL import Image  # pillow is only needed when images are logged

    if not isinstance(image, Image.Image):
        import numpy as np

        array = np.asarray(image)
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise InvalidArgument(
                f"Invalid image shape {array.shape}: expected (H, W) or (H, W, 1|3|4)."
            )
        if array.dtype.kind == "f":
            if array.size and (array.min() < 0 or array.max() > 1):
                raise InvalidArgument("Float images must have values in [0, 1].")
            array = (array * 255).round().astype(np.uint8)
        elif array.dtype != np.uint8:
            if array.size and (array.min() < 0 or array.max() > 255):
                raise InvalidArgument("Integer images must have values in [0, 255].")
            array = array.astype(np.uint8)
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def table_bytes(data: Any) -> tuple[bytes, list[str]]:
    """A dict of columns or a DataFrame as MLflow's table JSON ({"columns", "data"})."""
    import pandas as pd

    if isinstance(data, dict):
        frame = pd.DataFrame(data)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise InvalidArgument(
            f"Invalid table of type {type(data).__name__}: expected a dict or a pandas DataFrame."
        )
    payload = json.loads(frame.to_json(orient="split", index=False, default_handler=str))
    columns = [str(c) for c in payload["columns"]]
    return json.dumps({"columns": columns, "data": payload["data"]}).encode(), columns
