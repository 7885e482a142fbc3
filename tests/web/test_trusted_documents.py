"""VOUCHER_GRAPH_TRUSTED_DOCUMENTS: only the manifest's documents run; the CLI builds it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support import Api, load_world, make_api

from voucher_graph.cli import main
from voucher_graph.data.engine import StatementCounter
from voucher_graph.settings import Settings, SettingsError
from voucher_graph.web.trusted_documents import TrustedDocuments

ME = "query Me { me { id role } }\n"
CUSTOMER = "query Customer($id: ID!) { customer(id: $id) { id } }\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Built by `voucher-graph trusted-documents` from a folder of .graphql files."""
    folder = tmp_path / "documents"
    (folder / "nested").mkdir(parents=True)
    (folder / "me.graphql").write_text(ME, encoding="utf-8")
    (folder / "nested" / "customer.graphql").write_text(CUSTOMER, encoding="utf-8")
    path = tmp_path / "manifest.json"
    assert main(["trusted-documents", str(folder), "-o", str(path)]) == 0
    capsys.readouterr()
    return path


@pytest.fixture
async def trusted_api(
    engine: AsyncEngine,
    counter: StatementCounter,
    example_world: dict[str, Any],
    manifest: Path,
) -> AsyncIterator[Api]:
    await load_world(engine, example_world)
    api = make_api(engine, counter, trusted_documents=str(manifest))
    yield api
    await api.client.aclose()


async def send(api: Api, body: dict[str, Any]) -> Any:
    return await api.client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {api.token('u1')}"}
    )


def test_the_cli_builds_a_manifest_of_every_graphql_file_by_sha256(manifest: Path) -> None:
    assert json.loads(manifest.read_text(encoding="utf-8")) == {
        f"sha256:{h}": t for h, t in sorted([(sha(ME), ME), (sha(CUSTOMER), CUSTOMER)])
    }


def test_the_cli_refuses_a_document_invalid_against_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.graphql").write_text("{ nope }", encoding="utf-8")
    assert main(["trusted-documents", str(tmp_path)]) == 2
    assert "bad.graphql" in capsys.readouterr().err


async def test_a_document_id_runs_the_trusted_document(trusted_api: Api) -> None:
    response = await send(
        trusted_api, {"documentId": f"sha256:{sha(CUSTOMER)}", "variables": {"id": "c1"}}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"customer": {"id": "c1"}}}


async def test_the_apollo_persisted_query_extension_runs_the_trusted_document(
    trusted_api: Api,
) -> None:
    extension = {"persistedQuery": {"version": 1, "sha256Hash": sha(ME)}}
    response = await send(trusted_api, {"extensions": extension})
    assert response.json() == {"data": {"me": {"id": "u1", "role": "RECORDER"}}}
    with_text = await send(trusted_api, {"extensions": extension, "query": ME})
    assert with_text.json()["data"]["me"]["id"] == "u1"


async def test_anything_but_a_trusted_document_is_refused_with_a_clear_error(
    trusted_api: Api,
) -> None:
    hostile = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(200)) + " }"
    refusals = [
        {"query": "{ me { id } }"},
        {"query": hostile},
        {"documentId": f"sha256:{sha('{ me { id } }')}"},
        {"documentId": "sha256:xyz"},
        {"documentId": sha(ME).upper()},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(ME)}}, "query": "{ x }"},
        {"variables": {}},
    ]
    for body in refusals:
        response = await send(trusted_api, body)
        assert response.status_code == 400, body
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "trusted document" in error["message"] or "sha256" in error["message"], error


async def test_the_full_text_of_a_trusted_document_is_accepted(trusted_api: Api) -> None:
    response = await send(trusted_api, {"query": ME})
    assert response.json()["data"]["me"]["id"] == "u1"


async def test_graphiql_says_only_trusted_documents_run(trusted_api: Api) -> None:
    page = await trusted_api.client.get("/graphql", headers={"Accept": "text/html"})
    assert '"trustedDocuments": true' in page.text


def test_a_manifest_whose_id_is_not_the_hash_of_its_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({f"sha256:{sha(ME)}": CUSTOMER}), encoding="utf-8")
    with pytest.raises(SettingsError, match="not the sha256"):
        TrustedDocuments.load(path)


def test_an_apollo_manifest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    operations = [{"id": sha(ME), "name": "Me", "type": "query", "body": ME}]
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        ),
        encoding="utf-8",
    )
    assert TrustedDocuments.load(path).documents == {f"sha256:{sha(ME)}": ME}


def test_trusted_documents_are_read_from_the_environment() -> None:
    env = {"VOUCHER_GRAPH_TRUSTED_DOCUMENTS": "manifest.json"}
    assert Settings.from_env(env).trusted_documents == "manifest.json"
    assert Settings.from_env({}).trusted_documents is None
