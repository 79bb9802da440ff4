"""Settings from the environment (prefix SHOUDAI_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOUDAI_", extra="ignore")

    data_dir: Path = Path("var")
    # Empty means: an SQLite file inside data_dir.
    database_url: str = ""
    # Another city points this at its own divisions/banks/industries/thresholds files.
    reference_dir: Path | None = None
    timezone: str = "Asia/Shanghai"
    # Display name of the city; empty means the name in the reference files (city.csv).
    city_name: str = ""
    # The city's name on English pages; empty means the name above (a proper noun reads the same either way).
    city_name_en: str = ""
    # How long a bank's claim on a listed business stays exclusive (L7); a bad value stops start-up, not a silent 30.
    claim_days: PositiveInt = 30
    # Need submissions running at once per web process (see web/api/public_needs.py); more wait their turn.
    submit_threads: PositiveInt = 4
    # Where people reach the platform: QR codes and SMS links point here.
    public_base_url: str = "http://127.0.0.1:8000"
    # An HTTP SMS gateway; empty means the file gateway (<data_dir>/sms.log), for the demo.
    sms_url: str = ""
    sms_token: str = ""
    # Keys for personal data (X2). The demo default is for a laptop only; production sets its own.
    field_key: str = "c2hvdWRhaS1kZW1vLWtleS1OT1QtZm9yLXByb2QhISE="  # 32 bytes
    blind_index_key: str = "demo-blind-index-key-change-me"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'shoudai.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache after changing the environment."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings
