"""Trusted documents: with a manifest, only the documents it lists (by sha256) are run.

Requests name a document as `{"documentId": "sha256:<hex>"}` or in Apollo's persisted-query
extension (`extensions.persistedQuery.sha256Hash`); a full `query` is accepted only when
its text is in the manifest. Anything else is refused before any other work."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate

from ..settings import SettingsError

PREFIX = "sha256:"
_HEX = re.compile(r"[0-9a-f]{64}")
APOLLO_FORMAT = "apollo-persisted-query-manifest"
REFUSED = (
    "this server runs only trusted documents: send "
    '{"documentId": "sha256:<hex>", "variables": {...}} naming one of its manifest'
)


def document_id(text: str) -> str:
    """`sha256:` and the hex digest of the document's UTF-8 text, exactly as written."""
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entries(raw: Any) -> dict[str, str]:
    """id -> text from a flat `{"sha256:<hex>" | "<hex>": text}` object or an Apollo
    persisted-query manifest (`{"format": ..., "operations": [{"id", "body"}]}`)."""
    if isinstance(raw, dict) and raw.get("format") == APOLLO_FORMAT:
        operations = raw.get("operations")
        if not isinstance(operations, list):
            raise SettingsError("trusted documents: `operations` must be a list")
        pairs = [(op.get("id"), op.get("body")) for op in operations if isinstance(op, dict)]
        if len(pairs) != len(operations):
            raise SettingsError("trusted documents: every operation must be an object")
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise SettingsError("trusted documents: the manifest must be a JSON object")
    documents: dict[str, str] = {}
    for key, text in pairs:
        if not isinstance(key, str) or not isinstance(text, str):
            raise SettingsError(f"trusted documents: entry {key!r} is not an id and a text")
        expected = document_id(text)
        # A listed id must be the hash of its text: a manifest cannot smuggle a document in.
        if key.removeprefix(PREFIX) != expected.removeprefix(PREFIX):
            raise SettingsError(f"trusted documents: {key!r} is not the sha256 of its text")
        documents[expected] = text
    return documents


class TrustedDocuments:
    """The manifest's documents by id, and the rewriting of a request body to its text."""

    def __init__(self, documents: dict[str, str]) -> None:
        self.documents = documents

    @classmethod
    def load(cls, path: str | Path) -> TrustedDocuments:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"trusted documents: cannot read {path}: {exc}") from exc
        return cls(_entries(raw))

    def _requested_id(self, payload: dict[str, Any]) -> tuple[str | None, str]:
        """The id a request names, or None and why it is refused."""
        query = payload.get("query")
        extensions = payload.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if "documentId" in payload:
            named = payload["documentId"]
            if not isinstance(named, str) or not _HEX.fullmatch(named.removeprefix(PREFIX)):
                return None, '`documentId` must be "sha256:" and 64 lower-case hex digits'
            wanted = PREFIX + named.removeprefix(PREFIX)
        elif isinstance(persisted, dict):
            digest = persisted.get("sha256Hash")
            if not isinstance(digest, str) or not _HEX.fullmatch(digest):
                return None, "`persistedQuery.sha256Hash` must be 64 lower-case hex digits"
            wanted = PREFIX + digest
        elif isinstance(query, str):
            wanted = document_id(query)
        else:
            return None, REFUSED
        if isinstance(query, str) and document_id(query) != wanted:
            return None, "the `query` sent is not the trusted document its sha256 id names"
        return wanted, ""

    def rewrite(self, body: bytes) -> tuple[bytes, str]:
        """The body with `query` set to the trusted text, or the body and a refusal.

        A body that is not a JSON object is passed on as it is: the endpoint's own checks
        refuse it with their usual messages."""
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return body, ""
        if not isinstance(payload, dict):
            return body, ""
        wanted, problem = self._requested_id(payload)
        if wanted is None:
            return body, problem
        text = self.documents.get(wanted)
        if text is None:
            if "documentId" in payload or "extensions" in payload:
                return body, f"{wanted} is not a trusted document of this server"
            return body, REFUSED
        payload.pop("documentId", None)
        payload["query"] = text
        return json.dumps(payload).encode("utf-8"), ""


def build_manifest(folder: Path, schema: GraphQLSchema | None = None) -> dict[str, str]:
    """`{"sha256:<hex>": text}` for every `*.graphql` file under `folder`, sorted by id.

    Each file is one document; with `schema`, each must also be valid against it."""
    documents: dict[str, str] = {}
    files = sorted(folder.rglob("*.graphql"))
    if not files:
        raise SettingsError(f"no .graphql files under {folder}")
    for file in files:
        text = file.read_text(encoding="utf-8")
        try:
            document = parse(text)
        except GraphQLError as exc:
            raise SettingsError(f"{file}: {exc.message}") from exc
        if schema is not None and (errors := validate(schema, document)):
            raise SettingsError(f"{file}: {errors[0].message}")
        documents[document_id(text)] = text
    return dict(sorted(documents.items()))
