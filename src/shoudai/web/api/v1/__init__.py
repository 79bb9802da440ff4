"""The bank API, /api/v1 (issue 4, X4): placeholder router until it is filled in."""

from fastapi import APIRouter

router = APIRouter()
