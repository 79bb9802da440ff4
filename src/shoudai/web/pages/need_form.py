"""(placeholder: filled in by the work on issue 4)"""

from fastapi import APIRouter

router = APIRouter()
