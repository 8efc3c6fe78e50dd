"""Ledger API: records payments and exposes balances."""

from fastapi import FastAPI
from prometheus_client import make_asgi_app

app = FastAPI(title="ledger")
app.mount("/metrics", make_asgi_app())


@app.get("/healthz/live")
def live() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/healthz/ready")
def ready() -> dict[str, str]:
    return {"status": "ok"}
