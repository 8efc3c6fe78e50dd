"""A connection URL's scheme names a protocol; a host that is the repository's own store names the engine."""

from __future__ import annotations

from pathlib import Path

from helpers import facts_for, scan_tree, texts

# modelled on aks-store-demo kustomize/base/documentdb.yaml and kustomize/base/makeline-service.yaml
STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
spec:
  serviceName: {name}
  template:
    spec:
      containers:
        - name: {name}
          image: {image}
          ports:
            - containerPort: 10260
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: makeline-service
spec:
  template:
    spec:
      containers:
        - name: makeline-service
          image: ghcr.io/azure-samples/aks-store-demo/makeline-service:2.2.0
          env:
            - name: ORDER_QUEUE_URI
              value: "amqp://rabbitmq:5672"
            - name: ORDER_DB_URI
              value: "mongodb://{host}:10260/?tls=true"
            - name: ORDER_DB_NAME
              value: "orderdb"
"""
DOCUMENTDB_IMAGE = "ghcr.io/documentdb/documentdb/documentdb-local:pg17-0.112.0"
# modelled on aks-store-demo docker-compose.yml (the documentdb service) and src/*/.env-style settings
COMPOSE = f"""\
services:
  documentdb:
    image: {DOCUMENTDB_IMAGE}
    container_name: documentdb
    ports:
      - "10260:10260"
"""


def _databases(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    return texts(facts_for(scan_tree(tmp_path, files).model, "env.database", env="development"))


def test_a_mongodb_url_to_the_repositorys_documentdb_workload_is_documentdb(tmp_path: Path) -> None:
    found = _databases(
        tmp_path,
        {
            "k8s/dev/documentdb.yaml": STATEFULSET.format(name="documentdb", image=DOCUMENTDB_IMAGE),
            "k8s/dev/makeline-service.yaml": DEPLOYMENT.format(host="documentdb"),
        },
    )
    url_facts = [t for t in found if "ORDER_DB_URI" in t]
    assert url_facts == [
        "DocumentDB: ORDER_DB_URI connection URL (mongodb:) in Deployment makeline-service "
        "(k8s/dev/makeline-service.yaml); host documentdb runs DocumentDB here (it speaks the MongoDB protocol)"
    ]
    assert not [t for t in found if t.startswith("MongoDB")]


def test_the_url_fact_cites_the_store_it_names(tmp_path: Path) -> None:
    model = scan_tree(
        tmp_path,
        {
            "k8s/dev/documentdb.yaml": STATEFULSET.format(name="documentdb", image=DOCUMENTDB_IMAGE),
            "k8s/dev/makeline-service.yaml": DEPLOYMENT.format(host="documentdb"),
        },
    ).model
    (fact,) = [f for f in facts_for(model, "env.database") if "ORDER_DB_URI" in f.text]
    assert fact.tech == "documentdb"
    assert {(e.path, e.line) for e in fact.evidence} == {
        ("k8s/dev/makeline-service.yaml", 14),
        ("k8s/dev/documentdb.yaml", 11),
    }


def test_an_env_example_url_to_a_compose_service_takes_its_engine(tmp_path: Path) -> None:
    found = _databases(
        tmp_path,
        {
            "docker-compose.yml": COMPOSE,
            "src/makeline-service/.env.example": "ORDER_DB_URI=mongodb://documentdb:10260/?tls=true\n",
        },
    )
    assert [t for t in found if "ORDER_DB_URI" in t] == [
        "DocumentDB: ORDER_DB_URI connection URL (mongodb:) in .env examples; "
        "host documentdb runs DocumentDB here (it speaks the MongoDB protocol)"
    ]


def test_a_host_that_runs_an_engine_not_speaking_the_protocol_keeps_the_schemes_engine(tmp_path: Path) -> None:
    found = _databases(
        tmp_path,
        {
            "k8s/dev/db.yaml": STATEFULSET.format(name="db", image="postgres:16"),
            "k8s/dev/makeline-service.yaml": DEPLOYMENT.format(host="db"),
        },
    )
    assert [t for t in found if "ORDER_DB_URI" in t] == [
        "MongoDB: ORDER_DB_URI connection URL (mongodb:) in Deployment makeline-service (k8s/dev/makeline-service.yaml)"
    ]


def test_a_host_that_is_no_service_of_the_repository_keeps_the_schemes_engine(tmp_path: Path) -> None:
    found = _databases(tmp_path, {"k8s/dev/makeline-service.yaml": DEPLOYMENT.format(host="documentdb")})
    assert [t for t in found if "ORDER_DB_URI" in t] == [
        "MongoDB: ORDER_DB_URI connection URL (mongodb:) in Deployment makeline-service (k8s/dev/makeline-service.yaml)"
    ]


def test_engines_that_speak_another_engines_protocol(tmp_path: Path) -> None:
    # plane and formbricks run Valkey behind `redis://` URLs; MariaDB speaks MySQL's, CockroachDB PostgreSQL's
    found = _databases(tmp_path, {
        "docker-compose.yml": "services:\n  cache:\n    image: valkey/valkey:7.2\n"
                              "  db:\n    image: mariadb:11.4\n  crdb:\n    image: cockroachdb/cockroach:v24.1.0\n",
        ".env.example": "REDIS_URL=redis://cache:6379\nDATABASE_URL=mysql://app@db:3306/app\n"
                        "EVENTS_URL=postgresql://root@crdb:26257/events\n",
    })
    assert sorted(t for t in found if " URL " in t) == [
        "CockroachDB: EVENTS_URL connection URL (postgresql:) in .env examples; "
        "host crdb runs CockroachDB here (it speaks the PostgreSQL protocol)",
        "MariaDB: DATABASE_URL connection URL (mysql:) in .env examples; "
        "host db runs MariaDB here (it speaks the MySQL protocol)",
        "Valkey: REDIS_URL connection URL (redis:) in .env examples; "
        "host cache runs Valkey here (it speaks the Redis protocol)",
    ]


def test_a_host_variable_and_a_published_local_port_name_the_engine_too(tmp_path: Path) -> None:
    # plane: `REDIS_HOST="plane-redis"` and apps/live's `redis://localhost:6379` both reach the Valkey
    # container the development compose file publishes on 6379; each was read as a second store, Redis
    found = _databases(tmp_path, {
        "docker-compose.yml": "services:\n  plane-redis:\n    image: valkey/valkey:7.2\n    ports:\n"
                              "      - \"6379:6379\"\n",
        ".env.example": 'REDIS_HOST="plane-redis"\nREDIS_PORT="6379"\n',
        "apps/live/.env.example": "REDIS_URL=redis://localhost:6379\n",
        "apps/other/.env.example": "CACHE_URL=redis://localhost:6380\n",
    })
    assert sorted(t for t in found if "in .env examples" in t) == [
        "Redis: CACHE_URL connection URL (redis:) in .env examples",  # no service publishes 6380
        "Valkey: REDIS_URL connection URL (redis:) in .env examples; "
        "host localhost:6379 runs Valkey here (it speaks the Redis protocol)",
        "Valkey: configured by REDIS_HOST, REDIS_PORT in .env examples; "
        "host plane-redis runs Valkey here (it speaks the Redis protocol)",
    ]


def test_a_local_port_names_only_the_same_environments_stack(tmp_path: Path) -> None:
    # the code review's case: a production .env's `localhost` is the production host, and a
    # container's is the container; neither is the development compose file's Valkey
    scanned = scan_tree(tmp_path, {
        "docker-compose.yml": "services:\n  cache:\n    image: valkey/valkey:8\n    ports:\n      - \"6379:6379\"\n",
        ".env.production.example": "REDIS_URL=redis://localhost:6379/0\n",
        "k8s/api.yaml": DEPLOYMENT.replace("mongodb://{host}:10260/?tls=true", "redis://localhost:6379/0"),
    })
    found = texts(facts_for(scanned.model, "env.database"))
    assert [t for t in found if "REDIS_URL" in t and ".env examples" in t] == [
        "Redis: REDIS_URL connection URL (redis:) in .env examples"], found
    assert not [t for t in found if "runs Valkey here" in t], found


def test_a_port_an_override_file_publishes_names_the_engine_too(tmp_path: Path) -> None:
    # the code review's case: development ports usually live in docker-compose.override.yml
    scanned = scan_tree(tmp_path, {
        "docker-compose.yml": "services:\n  cache:\n    image: valkey/valkey:8\n  api:\n    build: .\n",
        "docker-compose.override.yml": "services:\n  cache:\n    ports:\n      - \"6379:6379\"\n",
        ".env.example": "REDIS_URL=redis://localhost:6379\n",
    })
    found = sorted(texts(facts_for(scanned.model, "env.database", env="development")))
    assert found == [
        "Valkey 8: in compose service cache (image valkey/valkey:8)",  # one statement, not two
        "Valkey: REDIS_URL connection URL (redis:) in .env examples; "
        "host localhost:6379 runs Valkey here (it speaks the Redis protocol)",
    ], found


def test_an_engine_selector_reaches_the_database_its_files_db_host_names(tmp_path: Path) -> None:
    # passbolt/Laravel beside DDEV (the session 21 leftover) and Lando: `DB_CONNECTION=mysql` with
    # `DB_HOST=db` is DDEV's MariaDB; `127.0.0.1` with `DB_PORT` is the port compose publishes
    scanned = scan_tree(tmp_path, {
        "shop/.ddev/config.yaml": "name: shop\ntype: laravel\ndatabase:\n  type: mariadb\n  version: '10.11'\n",
        "shop/.env.example": "APP_ENV=local\nDB_CONNECTION=mysql\nDB_HOST=db\nDB_PORT=3306\n",
        "api/docker-compose.yml": "services:\n  db:\n    image: mariadb:11\n    ports:\n      - '3307:3306'\n",
        "api/.env.example": "DB_CONNECTION=mysql\nDB_HOST=127.0.0.1\nDB_PORT=3307\n",
        "cms/.env.example": "DB_CONNECTION=mysql\nDB_HOST=mysql.internal.example.org\n",
    })
    found = texts(facts_for(scanned.model, "env.database"))
    assert sorted(t for t in found if "DB_CONNECTION" in t) == [
        "MariaDB: DB_CONNECTION (DB_CONNECTION=mysql) in .env examples; "
        "host db runs MariaDB here (it speaks the MySQL protocol)",
        "MariaDB: DB_CONNECTION (DB_CONNECTION=mysql) in .env examples; "
        "host localhost:3307 runs MariaDB here (it speaks the MySQL protocol)",
        "MySQL: DB_CONNECTION (DB_CONNECTION=mysql) in .env examples",  # a host no store of the repository has
    ], found
