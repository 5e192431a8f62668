"""pyfunc ``predict`` for PyTorch models: inputs become tensors, outputs become arrays.

Inputs: a DataFrame becomes one float32 tensor of its values (answered with a DataFrame on the
same index, as MLflow does); an ndarray (or list, or tensor) becomes a tensor as it is, except
that floating arrays take the dtype of the model's floating weights (numpy's float64 meets a
float32 model); a dict of arrays becomes keyword arguments of ``forward``, a tuple or list of
arrays its positional arguments. The model runs in eval mode under ``torch.inference_mode``.
Outputs: a tensor becomes an ndarray, a dict or tuple of tensors a dict or list of ndarrays.

The inference param ``device`` (``cpu``, ``cuda``, ``cuda:1`` ...) moves the model there for
that call and those after it; other params go to ``forward`` when it takes them by name.
A model that fails on the input raises InvalidArgument naming the input and the error.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models.flavor import accepted_params


def resolve_device(device: Any) -> str:
    """A checked device name: one torch knows, and one this machine has."""
    import torch

    if not isinstance(device, str):
        raise InvalidArgument(
            f"Invalid device {device!r}: expected a string such as 'cpu' or 'cuda'."
        )
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise InvalidArgument(
            f"Invalid device {device!r}: expected 'cpu', 'cuda' or 'cuda:<index>'."
        ) from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise InvalidArgument(
            f"Invalid device {device!r}: CUDA is not available to this torch "
            f"({torch.__version__}); use 'cpu'."
        )
    return device


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _is_array(value: Any) -> bool:
    import numpy as np
    import torch

    return isinstance(value, (np.ndarray, torch.Tensor))


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)} ({getattr(value, 'dtype', '?')})"
    if isinstance(value, Mapping):
        return "dict of " + ", ".join(f"{k}: {_describe(v)}" for k, v in value.items())
    return type(value).__name__


class PyTorchModelWrapper:
    """pyfunc implementation over a ``torch.nn.Module`` (``pytorch_model``).

    ``device`` None leaves the model where it is (saving infers the signature that way);
    ``exported`` marks a ``pt2`` model, whose weights cannot change device.
    """

    def __init__(self, pytorch_model: Any, device: str | None = None, exported: bool = False):
        self.pytorch_model = pytorch_model
        self.exported = exported
        self.device = device

    def get_raw_model(self) -> Any:
        return self.pytorch_model

    def _move(self, device: str) -> None:
        from runwell.pytorch.serialization import check_exported_device

        if device == self.device:
            return
        if self.exported:
            check_exported_device(self.pytorch_model, device)
        else:
            self.pytorch_model.to(device)
        self.device = device

    def _weights_dtype(self) -> Any:
        for tensor in self.pytorch_model.parameters():
            if tensor.is_floating_point():
                return tensor.dtype
        return None

    def _input_device(self) -> Any:
        """The chosen device, else where the weights are (a model is not moved unasked)."""
        if self.device is not None:
            return self.device
        return next((t.device for t in self.pytorch_model.parameters()), None)

    def _tensor(self, value: Any, name: str) -> Any:
        import numpy as np
        import torch

        if not isinstance(value, torch.Tensor):
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise InvalidArgument(
                    f"Invalid input {name}: expected numbers, got an array of {array.dtype}."
                )
            # torch.from_numpy refuses negative strides and warns on read-only arrays
            array = np.ascontiguousarray(array)
            if not array.flags.writeable:
                array = array.copy()
            value = torch.from_numpy(array)
        wanted = self._weights_dtype()
        if wanted is not None and value.is_floating_point() and value.dtype != wanted:
            value = value.to(wanted)
        device = self._input_device()
        return value.to(device) if device is not None else value

    def _inputs(self, data: Any) -> tuple[list[Any], dict[str, Any]]:
        import numpy as np
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            try:
                values = data.to_numpy(dtype=np.float32)
            except (TypeError, ValueError):
                raise InvalidArgument(
                    f"Invalid input: every column must be numeric to become a float32 tensor; "
                    f"the columns are {dict(data.dtypes.astype(str))}."
                ) from None
            return [self._tensor(values, "DataFrame")], {}
        if isinstance(data, Mapping):
            return [], {str(k): self._tensor(v, f"'{k}'") for k, v in data.items()}
        if isinstance(data, (tuple, list)) and data and all(_is_array(v) for v in data):
            return [self._tensor(v, f"#{i}") for i, v in enumerate(data)], {}
        return [self._tensor(data, type(data).__name__)], {}

    @contextmanager
    def _evaluating(self) -> Iterator[None]:
        """Eval mode for one call, each submodule's mode restored after (a model saved
        mid-training keeps training)."""
        import torch

        if self.exported:  # an exported graph has no train/eval switch to flip
            with torch.inference_mode():
                yield
            return
        modes = [(m, m.training) for m in self.pytorch_model.modules()]
        self.pytorch_model.eval()
        try:
            with torch.inference_mode():
                yield
        finally:
            for module, training in modes:
                module.training = training

    def _forward_params(self, params: dict[str, Any], keywords: Mapping[str, Any]) -> Any:
        forward = self.pytorch_model.forward
        try:
            first = next(iter(inspect.signature(forward).parameters))
        except (StopIteration, TypeError, ValueError):
            first = "input"
        return accepted_params(forward, params, "pytorch", inputs=(first, *keywords))

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import pandas as pd

        extra = dict(params or {})
        if extra.get("device") is not None:
            self._move(resolve_device(extra.pop("device")))
        extra.pop("device", None)
        args, keywords = self._inputs(data)
        keywords.update(self._forward_params(extra, keywords) if extra else {})
        with self._evaluating():
            try:
                output = self.pytorch_model(*args, **keywords)
            except Exception as exc:
                raise InvalidArgument(
                    f"The PyTorch model failed on the input ({_describe(data)}): "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            result = _to_numpy(output)
        if isinstance(data, pd.DataFrame) and hasattr(result, "ndim"):
            if result.ndim > 2:
                raise InvalidArgument(
                    f"The model answered an array of shape {result.shape}, which cannot be a "
                    "DataFrame: pass the input as an ndarray to get it as an array."
                )
            return pd.DataFrame(result, index=data.index)
        return result


def _to_numpy(output: Any) -> Any:
    import torch

    if isinstance(output, torch.Tensor):
        tensor = output.detach().cpu()
        if tensor.dtype == torch.bfloat16:  # numpy has no bfloat16
            tensor = tensor.float()
        return tensor.numpy()
    if isinstance(output, Mapping):
        return {str(k): _to_numpy(v) for k, v in output.items()}
    if isinstance(output, (tuple, list)) and all(isinstance(v, torch.Tensor) for v in output):
        return [_to_numpy(v) for v in output]
    raise InvalidArgument(
        "The PyTorch model returned a "
        f"{type(output).__name__}: expected a tensor, or a dict or tuple of tensors."
    )
