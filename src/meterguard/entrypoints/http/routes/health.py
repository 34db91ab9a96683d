"""``/health``: the one route that needs no key (load balancers and ``make run`` poll it)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: str


@router.get("/health", response_model=HealthOut, summary="Is the server up")
async def health() -> dict[str, str]:
    return {"status": "ok"}
