"""The .NET Aspire AppHost detector: the data stores an app model starts when the app runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import facts_for, fixture_text, scan_tree
from infrascan.detectors.aspire import AspireDetector

from infrascan.detector import SourceFile
from infrascan.model import Confidence

DETECTOR = AspireDetector()
PATH = "src/Shop.AppHost/Program.cs"


def test_store_resources_with_their_images_tags_and_databases() -> None:
    facts = DETECTOR.extract(SourceFile(PATH, fixture_text("aspire", "Program.cs"))).facts
    assert [(f.text, [e.line for e in f.evidence]) for f in facts] == [
        ("Redis (the image tag Aspire's integration pins, which changes with its release): .NET Aspire resource "
         "redis, which the AppHost starts as a container when the app runs", [8]),
        ("RabbitMQ (the image tag Aspire's integration pins, which changes with its release): .NET Aspire resource "
         "eventbus, which the AppHost starts as a container when the app runs", [9]),
        # dotnet/eShop: pgvector's image, tagged latest, with the databases the services use
        ("PostgreSQL (version unpinned): image ankane/pgvector:latest, .NET Aspire resource postgres (databases "
         "catalogdb, orderingdb), which the AppHost starts as a container when the app runs", [11, 12, 13]),
        ("SQL Server 2022: image tag 2022-latest, .NET Aspire resource sql, which the AppHost starts as a container "
         "when the app runs", [15]),
    ]
    assert all(f.env == "development" and f.confidence is Confidence.DECLARED for f in facts)
    assert facts[2].attrs == {"hosts": ["postgres"]} and facts[3].attrs["version"] == "2022"


def test_a_file_that_builds_no_distributed_application_is_no_app_host() -> None:
    text = 'var builder = WebApplication.CreateBuilder(args);\nbuilder.AddRedisClient("redis");\n'
    assert DETECTOR.extract(SourceFile("src/Api/AppHost.cs", text)).facts == []


def test_the_app_host_s_databases_fill_development(tmp_path: Path) -> None:
    scanned = scan_tree(tmp_path, {PATH: fixture_text("aspire", "Program.cs")})
    said = [f.text.split(":")[0] for f in facts_for(scanned.model, "env.database", "development")]
    pinned = " (the image tag Aspire's integration pins, which changes with its release)"
    assert said == [f"Redis{pinned}", f"RabbitMQ{pinned}", "PostgreSQL (version unpinned)", "SQL Server 2022"]


@pytest.mark.parametrize(("chain", "said"), [
    # a companion container's image, in the lambda it is configured by, is not the store's
    ('.WithPgAdmin(c => c.WithImage("dpage/pgadmin4", "8.12"))',
     "PostgreSQL (the image tag Aspire's integration pins"),
    # WithImage with no tag runs `latest`, or the tag in the name; named arguments too
    ('.WithImage("ankane/pgvector")', "PostgreSQL (version unpinned): image ankane/pgvector:latest, "),
    ('.WithImage("postgres:16.4")', "PostgreSQL 16: image postgres:16.4, "),
    ('.WithImage(image: "postgres", tag: "17.2")', "PostgreSQL 17: image postgres:17.2, "),
    ('.WithImage("registry.local:5000/postgres")',
     "PostgreSQL (version unpinned): image registry.local:5000/postgres:latest"),
    # in the order called: a later WithImage resets the tag WithImageTag set
    ('.WithImageTag("16.4").WithImage("pgvector/pgvector")',
     "PostgreSQL (version unpinned): image pgvector/pgvector:latest"),
])
def test_the_image_and_tag_are_read_as_aspire_applies_them(chain: str, said: str) -> None:
    text = f'var builder = DistributedApplication.CreateBuilder(args);\nbuilder.AddPostgres("pg"){chain};\n'
    [fact] = DETECTOR.extract(SourceFile(PATH, text)).facts
    assert fact.text.startswith(said), fact.text


def test_a_verbatim_string_s_backslash_escapes_nothing() -> None:
    # the code review: `@"C:\\temp\\"` read as an escaped quote left the comment after it unblanked
    text = ('var builder = DistributedApplication.CreateBuilder(args);\nvar p = @"C:\\temp\\";\n'
            'var r = builder.AddRedis("cache"); // builder.AddPostgres("x");\n')
    assert [f.tech for f in DETECTOR.extract(SourceFile(PATH, text)).facts] == ["redis"]
