"""Model: the MLmodel file at the root of every model directory (reference §1-2).

The file is YAML with sorted keys; ``signature`` holds JSON strings. Unknown top-level keys
(fields a newer MLflow or another tool wrote) are kept in ``extra`` and written back, so a
read-modify-write never loses them. runwell records its own version as ``runwell_version``
and leaves ``mlflow_version`` to models MLflow wrote (it is kept when read).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runwell import yaml_dump
from runwell.errors import InvalidArgument, NotFound
from runwell.models.schema import ParamSchema, Schema
from runwell.models.signature import ModelSignature

MLMODEL_FILE_NAME = "MLmodel"
# Fields written even when None, as MLflow writes them; other None fields are left out.
_ALWAYS = ("model_id", "prompts", "is_signature_from_type_hint", "type_hint_from_example")
_KNOWN = (
    "artifact_path",
    "flavors",
    "model_uuid",
    "model_id",
    "run_id",
    "utc_time_created",
    "mlflow_version",
    "runwell_version",
    "signature",
    "saved_input_example_info",
    "is_signature_from_type_hint",
    "type_hint_from_example",
    "model_size_bytes",
    "metadata",
    "prompts",
    "env_vars",
    "resources",
    "auth_policy",
    "databricks_runtime",
)


def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class Model:
    """The contents of an MLmodel file: flavors, signature, example info, ids and extras."""

    def __init__(
        self,
        artifact_path: str | None = None,
        run_id: str | None = None,
        utc_time_created: str | None = None,
        flavors: Mapping[str, Any] | None = None,
        signature: ModelSignature | None = None,
        saved_input_example_info: Mapping[str, Any] | None = None,
        model_uuid: str | None = None,
        model_id: str | None = None,
        mlflow_version: str | None = None,
        runwell_version: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        model_size_bytes: int | None = None,
        prompts: list[Any] | None = None,
        env_vars: list[str] | None = None,
        resources: Any = None,
        auth_policy: Any = None,
        databricks_runtime: str | None = None,
        is_signature_from_type_hint: bool = False,
        type_hint_from_example: bool = False,
        **extra: Any,
    ) -> None:
        from runwell._version import __version__

        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = utc_time_created or _utc_now()
        self.flavors: dict[str, dict[str, Any]] = {
            k: dict(v or {}) for k, v in (flavors or {}).items()
        }
        self.signature = signature
        self.saved_input_example_info = (
            dict(saved_input_example_info) if saved_input_example_info is not None else None
        )
        self.model_uuid = model_uuid or uuid.uuid4().hex
        self.model_id = model_id
        self.mlflow_version = mlflow_version
        self.runwell_version = (
            runwell_version if runwell_version else (None if mlflow_version else __version__)
        )
        self.metadata = dict(metadata) if metadata is not None else None
        self.model_size_bytes = model_size_bytes
        self.prompts = prompts
        self.env_vars = env_vars
        self.resources = resources
        self.auth_policy = auth_policy
        self.databricks_runtime = databricks_runtime
        self.is_signature_from_type_hint = is_signature_from_type_hint
        self.type_hint_from_example = type_hint_from_example
        self.extra: dict[str, Any] = dict(extra)

    def __repr__(self) -> str:
        return f"Model(flavors={sorted(self.flavors)}, model_uuid={self.model_uuid!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and self.to_dict() == other.to_dict()

    # ---------------------------------------------------------------- flavors, schemas

    def add_flavor(self, name: str, **params: Any) -> Model:
        """Record a flavor's configuration (replacing an earlier one of that name)."""
        self.flavors[name] = dict(params)
        return self

    def get_input_schema(self) -> Schema | None:
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Schema | None:
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self) -> ParamSchema | None:
        return self.signature.params if self.signature is not None else None

    def load_input_example(self, path: str | os.PathLike[str]) -> Any:
        """The saved input example of the model directory ``path``, or None."""
        from runwell.models.input_example import load_input_example

        return load_input_example(self, str(path))

    def load_input_example_params(self, path: str | os.PathLike[str]) -> dict[str, Any] | None:
        """The params saved with the input example, or None."""
        from runwell.models.input_example import load_input_example_params

        return load_input_example_params(self, str(path))

    # ---------------------------------------------------------------- YAML

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        for key in _KNOWN:
            value = getattr(self, key)
            if key == "signature" and value is not None:
                value = value.to_dict()
            if value is not None or key in _ALWAYS:
                out[key] = value
        return out

    def to_yaml(self) -> str:
        return str(yaml_dump.safe_dump(self.to_dict(), default_flow_style=False, sort_keys=True))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the MLmodel file: ``path`` is the file, or a directory to write it into."""
        target = Path(path)
        if target.is_dir():
            target = target / MLMODEL_FILE_NAME
        target.write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "MLmodel") -> Model:
        if not isinstance(data, Mapping):
            raise InvalidArgument(f"Invalid {source}: expected a YAML mapping of fields.")
        fields = dict(data)
        flavors = fields.get("flavors")
        if not flavors or not isinstance(flavors, Mapping):
            raise InvalidArgument(
                f"Invalid {source}: the 'flavors' field is missing or empty; expected a mapping "
                "of flavor name to configuration (e.g. python_function)."
            )
        for name, conf in flavors.items():
            if conf is not None and not isinstance(conf, Mapping):
                raise InvalidArgument(
                    f"Invalid {source}: flavor {name!r} must be a mapping, got {conf!r}."
                )
        signature = fields.pop("signature", None)
        if signature is not None:
            fields["signature"] = ModelSignature.from_dict(signature)
        info = fields.get("saved_input_example_info")
        if info is not None and not isinstance(info, Mapping):
            raise InvalidArgument(
                f"Invalid {source}: 'saved_input_example_info' must be a mapping."
            )
        return cls(**{str(k): v for k, v in fields.items()})

    @classmethod
    def load(cls, path_or_uri: str | os.PathLike[str]) -> Model:
        """Read the MLmodel of a model directory, an MLmodel file path, or a model URI."""
        import yaml

        from runwell.models.uri import download_model_file
        from runwell.store.uri import local_path

        text = str(path_or_uri)
        plain = local_path(text)
        if plain is not None and Path(plain).is_file():
            local = Path(plain)
        else:
            local = Path(download_model_file(text, MLMODEL_FILE_NAME))
        if not local.is_file():
            raise NotFound(
                f"No MLmodel file at '{local}': '{text}' is not a model directory "
                "(expected a directory holding an MLmodel file)."
            )
        try:
            data = yaml.safe_load(local.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidArgument(f"Invalid MLmodel file '{local}': not YAML ({exc}).") from None
        return cls.from_dict(data, source=f"MLmodel file '{local}'")


@dataclass
class ModelInfo:
    """What ``log_model`` returns: where the model went and what it declares."""

    artifact_path: str
    flavors: dict[str, Any]
    model_uri: str
    model_uuid: str
    run_id: str | None
    saved_input_example_info: dict[str, Any] | None
    signature: ModelSignature | None
    utc_time_created: str
    model_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    model_size_bytes: int | None = None
    # The registry version log_model(..., registered_model_name=...) created.
    registered_model_version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_model(cls, model: Model, model_uri: str, name: str | None = None) -> ModelInfo:
        return cls(
            artifact_path=model.artifact_path or "",
            flavors=model.flavors,
            model_uri=model_uri,
            model_uuid=model.model_uuid,
            run_id=model.run_id,
            saved_input_example_info=model.saved_input_example_info,
            signature=model.signature,
            utc_time_created=model.utc_time_created,
            model_id=model.model_id,
            name=name,
            metadata=model.metadata,
            model_size_bytes=model.model_size_bytes,
        )
