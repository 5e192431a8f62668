"""runwell.onnx: ONNX models, run with onnxruntime.

    import runwell.onnx
    runwell.onnx.save_model(onnx_model, "net", input_example=x[:5])
    runwell.pyfunc.load_model("net").predict(x)   # {output name: array}

The graph is stored as ``model.onnx`` (large tensors beside it as external data), never
pickled. This package is also the pyfunc loader of ONNX models (``_load_pyfunc``), whether
runwell or MLflow wrote them.
"""

from runwell.onnx.flavor import (
    DEFAULT_PROVIDERS,
    FLAVOR_NAME,
    OnnxModelWrapper,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "DEFAULT_PROVIDERS",
    "FLAVOR_NAME",
    "OnnxModelWrapper",
    "_load_pyfunc",
    "load_model",
    "log_model",
    "save_model",
]
