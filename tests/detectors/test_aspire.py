"""The .NET Aspire AppHost detector: the data stores an app model starts when the app runs."""

from __future__ import annotations

from pathlib import Path

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
