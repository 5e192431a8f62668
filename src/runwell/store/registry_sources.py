"""Model-version ``source`` validation: where a registered version may point.

A version's source is handed back to every client that loads ``models:/name/...``, and MLflow's
server once read sources straight off its own disk: CVE-2023-1177 (``file:///etc/passwd`` as a
source, then ``get-download-uri``) and a series of bypasses (``%2e%2e``, double encoding,
``?``/``#`` tails, ``runs:/`` ids pointing elsewhere, ``models:/`` chains). The rules here, per
reference/mlflow-limits-and-validation.md §6, are checked on the *fully decoded* text so that no
encoding changes what is checked:

- no control characters, no backslash, no ``?`` or ``#``; no ``.`` or ``..`` segment in a
  URI that is not local;
- a local path or ``file:`` URI only inside the artifact directory of the ``run_id`` (or the
  ``model_id``) given with it, after resolving ``..`` and symlinks (MLflow resolves local
  sources too, so ``<run root>/model/..`` is the run's root);
- ``runs:/<id>/...`` without a host, naming the request's ``run_id`` (or giving it);
- ``models:/m-<id>`` naming the request's ``model_id`` (or giving it), or
  ``models:/<name>/<version>`` of an existing version; nothing else under ``models:``;
- ``mlflow-artifacts:`` (and the ``/api/2.0/mlflow-artifacts/artifacts`` HTTP form) only under
  the run's or the logged model's proxied artifact root, and on this server: a source naming a
  host (``mlflow-artifacts://host/...``, ``http://host/api/2.0/mlflow-artifacts/...``) only
  when the run's or model's own root names that same host;
- other remote stores (``s3://`` ...) only inside the artifact location of the run or logged
  model, compared by scheme, host and path;
- anything else only under a location an admin allowed (RUNWELL_ALLOWED_MODEL_SOURCES, a
  comma-separated list of URI prefixes such as ``s3://team-models/``); any other scheme is
  refused.

Why the host matters: a client loading ``models:/name/1`` downloads from the version's source.
Were ``mlflow-artifacts://attacker:8000/...`` accepted, the client of every user allowed to
read the model would connect to the attacker's host (and, before the transport kept them to
the tracking origin, send its credentials there). So a version's source resolves inside this
server's own artifact store, or to a place an admin chose.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlparse

from runwell import env
from runwell.errors import InvalidArgument, NotFound
from runwell.store.registry_rules import fully_decoded

MAX_SOURCE_LENGTH = 2048
PROXY_SCHEME = "mlflow-artifacts"
PROXY_ROUTE = "/api/2.0/mlflow-artifacts/artifacts"
REMOTE_SCHEMES = frozenset(
    {
        "s3",
        "s3a",
        "s3n",
        "gs",
        "wasb",
        "wasbs",
        "abfs",
        "abfss",
        "adl",
        "hdfs",
        "viewfs",
        "dbfs",
        "oss",
        "http",
        "https",
    }
)


class SourceLookup(Protocol):
    """What validation needs from the store; each raises NotFound for an unknown id."""

    def run_artifact_uri(self, run_id: str) -> str: ...

    def logged_model_artifact_uri(self, model_id: str) -> str: ...

    def require_model_version(self, name: str, version: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Lineage:
    """The run and logged model a valid source belongs to (given or read from the source)."""

    run_id: str | None
    model_id: str | None


def _invalid(source: str, why: str) -> InvalidArgument:
    shown = source if len(source) <= 300 else source[:300] + "..."
    return InvalidArgument(f"Invalid model version source: '{shown}'. {why}")


def _local_root(uri: str) -> str | None:
    """The local directory of an artifact URI, or None when it is not local."""
    parsed = urlparse(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return parsed.path
    if parsed.scheme == "" and uri.startswith("/"):
        return uri
    return None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _proxied_path(decoded: str, scheme: str) -> str | None:
    """The path under the artifact proxy of a ``mlflow-artifacts:`` or proxy-route URL."""
    parsed = urlparse(decoded)
    if scheme == PROXY_SCHEME:
        return parsed.path.lstrip("/")
    if scheme in ("http", "https") and PROXY_ROUTE in parsed.path:
        return parsed.path.split(PROXY_ROUTE, 1)[1].lstrip("/")
    return None


def validate_source(
    source: object,
    *,
    run_id: str | None,
    model_id: str | None,
    lookup: SourceLookup,
) -> Lineage:
    """Check ``source`` for a new model version; returns its lineage.

    Raises:
        InvalidArgument: the source breaks a rule above (the message says which).
        NotFound: the run, logged model or model version it names does not exist.
    """
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgument("Missing value for required parameter 'source'.")
    if len(source) > MAX_SOURCE_LENGTH:
        raise _invalid(source, f"It exceeds the maximum length of {MAX_SOURCE_LENGTH}.")
    decoded = fully_decoded(source, f"model version source {source[:300]!r}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded):
        raise _invalid(source, "Control characters (NUL included) are not allowed.")
    for char, why in (("\\", "backslashes"), ("?", "query strings ('?')"), ("#", "fragments")):
        if char in decoded:
            raise _invalid(source, f"{why[0].upper()}{why[1:]} are not allowed.")
    parsed = urlparse(decoded)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:
        # '.' and '..' are resolved here, as the OS would, before the containment check.
        return _local(source, decoded, scheme, run_id, model_id, lookup)
    segments = parsed.path.split("/")
    if ".." in segments or "." in segments[1:-1]:
        raise _invalid(
            source,
            "If supplying a source as an absolute path or URI, it must be provided without "
            "relative path references ('.' or '..') present.",
        )
    if scheme == "runs":
        return _runs(source, parsed.netloc, parsed.path, run_id, model_id, lookup)
    if scheme == "models":
        return _models(source, parsed.netloc, parsed.path, run_id, model_id, lookup)
    if _admin_allowed(decoded):
        return Lineage(run_id, model_id)
    proxied = _proxied_path(decoded, scheme)
    if proxied is not None:
        return _proxied(source, decoded, proxied, run_id, model_id, lookup)
    if scheme in REMOTE_SCHEMES:
        if not parsed.netloc and scheme != "dbfs":  # dbfs:/path has no host by design
            raise _invalid(source, f"A {scheme}:// source needs a bucket or host.")
        return _remote(source, decoded, run_id, model_id, lookup)
    raise _invalid(
        source,
        f"Unsupported scheme '{scheme}:'; expected a run artifact path, runs:/, models:/, "
        f"mlflow-artifacts:/ or one of {', '.join(sorted(REMOTE_SCHEMES))}.",
    )


def _roots(run_id: str | None, model_id: str | None, lookup: SourceLookup) -> list[tuple[str, str]]:
    """(what, artifact URI) of the request's run and logged model."""
    roots = []
    if run_id:
        try:
            roots.append((f"run {run_id}", lookup.run_artifact_uri(run_id)))
        except NotFound:
            # MLflow answers 400 here: the run_id does not identify what holds the source.
            raise InvalidArgument(
                f"Invalid model version source: the run_id request parameter ({run_id!r}) "
                "must identify the run whose artifacts contain the source; no such run."
            ) from None
    if model_id:
        roots.append((f"logged model {model_id}", lookup.logged_model_artifact_uri(model_id)))
    return roots


def _local(
    source: str,
    decoded: str,
    scheme: str,
    run_id: str | None,
    model_id: str | None,
    lookup: SourceLookup,
) -> Lineage:
    parsed = urlparse(decoded)
    if scheme == "file" and parsed.netloc not in ("", "localhost"):
        raise _invalid(source, "file: URIs with a host are not allowed.")
    path = parsed.path if scheme == "file" else decoded
    hint = (
        "To use a local path as a model version source, the run_id request parameter has to "
        "be specified and the local path has to be contained within the artifact directory of "
        "the run specified by the run_id."
    )
    if not path.startswith("/") or len(scheme) == 1:
        raise _invalid(source, "A local source must be an absolute POSIX path. " + hint)
    roots = [
        (what, local)
        for what, uri in _roots(run_id, model_id, lookup)
        if (local := _local_root(uri))
    ]
    if not roots:
        raise _invalid(source, hint)
    # Both readings must stay inside: the OS's ('..' after resolving a symlink) and the
    # lexical one a client applies to the text.
    readings = {os.path.realpath(path), os.path.realpath(posixpath.normpath(path))}
    for _what, root in roots:
        real_root = os.path.realpath(root)
        if all(_inside(real, real_root) for real in readings):
            return Lineage(run_id, model_id)
    raise _invalid(source, f"It lies outside the artifact directory of {roots[0][0]}. " + hint)


def _runs(
    source: str,
    netloc: str,
    path: str,
    run_id: str | None,
    model_id: str | None,
    lookup: SourceLookup,
) -> Lineage:
    if netloc:
        raise _invalid(source, "runs: URIs must not carry a host: use runs:/<run_id>/<path>.")
    named = path.lstrip("/").split("/", 1)[0]
    if not named:
        raise _invalid(source, "Expected runs:/<run_id>/<path>.")
    if run_id and named != run_id:
        raise _invalid(source, f"It names run {named!r}, but the request's run_id is {run_id!r}.")
    lookup.run_artifact_uri(named)
    return Lineage(named, model_id)


def _models(
    source: str,
    netloc: str,
    path: str,
    run_id: str | None,
    model_id: str | None,
    lookup: SourceLookup,
) -> Lineage:
    if netloc:
        raise _invalid(source, "models: URIs must not carry a registry host.")
    parts = path.lstrip("/").split("/")
    if len(parts) == 1 and parts[0] and "@" not in parts[0]:
        named = parts[0]
        if model_id and named != model_id:
            raise _invalid(
                source,
                f"It names logged model {named!r}, but the request's model_id is {model_id!r}.",
            )
        lookup.logged_model_artifact_uri(named)
        return Lineage(run_id, named)
    if len(parts) == 2 and parts[0] and parts[1].isdigit():
        lookup.require_model_version(parts[0], int(parts[1]))
        return Lineage(run_id, model_id)
    raise _invalid(
        source, "A models: source must be models:/<logged model id> or models:/<name>/<version>."
    )


_ADMIN_HINT = (
    "A version's source must lie in this server's artifact store (the artifact location of "
    "its run or logged model); an admin can allow other locations with "
    f"{env.ALLOWED_MODEL_SOURCES}."
)


def _admin_allowed(decoded: str) -> bool:
    """Whether an admin allowed ``decoded``'s location (RUNWELL_ALLOWED_MODEL_SOURCES)."""
    source = _normalized(decoded)
    for prefix in (env.get(env.ALLOWED_MODEL_SOURCES) or "").split(","):
        prefix = _normalized(prefix.strip())
        if prefix and urlparse(prefix).netloc and _inside(source, prefix.rstrip("/")):
            return True
    return False


def _normalized(uri: str) -> str:
    """``uri`` with its scheme and host in lower case (they are case-insensitive)."""
    parsed = urlparse(uri)
    if not parsed.scheme:
        return uri
    rest = uri.split("://", 1)[1] if "://" in uri else uri.split(":", 1)[1]
    host, slash, path = rest.partition("/")
    return f"{parsed.scheme.lower()}://{host.lower()}{slash}{path}"


def _proxied(
    source: str,
    decoded: str,
    path: str,
    run_id: str | None,
    model_id: str | None,
    lookup: SourceLookup,
) -> Lineage:
    roots = _roots(run_id, model_id, lookup)
    if not roots:
        raise _invalid(
            source,
            "A proxied artifact source (mlflow-artifacts:) needs the run_id or model_id it "
            "belongs to.",
        )
    host = _server_of(decoded)
    for _what, uri in roots:
        root_path = _proxied_path(uri, urlparse(uri).scheme.lower())
        if root_path is None or not _inside(path, root_path.strip("/")):
            continue
        if host is None or host == _server_of(uri):
            return Lineage(run_id, model_id)
        raise _invalid(
            source,
            f"It names the server {host}, but the artifacts of {_what} are on "
            f"{_server_of(uri) or 'this server'} ('{uri}'): a proxied source is read from "
            "this server's own artifact store. Use mlflow-artifacts:/<path>. " + _ADMIN_HINT,
        )
    raise _invalid(
        source, f"It lies outside the artifact root of {' and '.join(w for w, _ in roots)}."
    )


def _server_of(uri: str) -> str | None:
    """The server a proxied URI names (scheme and host), or None for ``mlflow-artifacts:/p``."""
    parsed = urlparse(uri)
    if not parsed.netloc:
        return None
    scheme = parsed.scheme.lower()
    return f"{'http' if scheme == PROXY_SCHEME else scheme}://{parsed.netloc.lower()}"


def _remote(
    source: str,
    decoded: str,
    run_id: str | None,
    model_id: str | None,
    lookup: SourceLookup,
) -> Lineage:
    roots = _roots(run_id, model_id, lookup)
    wanted = _normalized(decoded)
    for _what, uri in roots:
        if urlparse(uri).netloc and _inside(wanted, _normalized(uri).rstrip("/")):
            return Lineage(run_id, model_id)
    where = " and ".join(w for w, _ in roots) or "the run or logged model (none given)"
    raise _invalid(source, f"It lies outside the artifact location of {where}. " + _ADMIN_HINT)
