"""(placeholder: the public need-submission endpoint, issue 4)"""

from fastapi import APIRouter

router = APIRouter()
