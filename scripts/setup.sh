#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine of this kind. Idempotent and quick when done already.
#   setup.sh          the app (runtime dependencies)
#   setup.sh --dev    also the test tools, Spark, Debian's chromium and CJK fonts
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0; [ "${1:-}" = "--dev" ] && dev=1

apt_install() {  # install the Debian packages that are missing
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return
  echo "安装系统软件包 installing Debian packages: ${missing[*]}"
  if [ ! -f /var/lib/apt/periodic/.shoudai-updated ] || [ -z "$(ls /var/lib/apt/lists 2>/dev/null | head -1)" ]; then
    apt-get update -qq && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/.shoudai-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

command -v uv >/dev/null 2>&1 || python3 -m pip install -q uv
py=$(command -v python3)

# uv re-installs the project itself on every sync, which briefly breaks a venv that other runs are using:
# skip the sync when the locked dependencies and the mode are what the last good sync installed.
stamp=.venv/.shoudai-sync
lock=$(cat pyproject.toml uv.lock | sha256sum | cut -c1-16)
want="$dev $lock"
synced() {  # a dev sync also satisfies the app's needs
  [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$want" ] || [ "$(cat "$stamp")" = "1 $lock" ]; } &&
    .venv/bin/python -c "import shoudai" 2>/dev/null
}

if [ $dev = 1 ]; then
  apt_install postgresql default-jre-headless chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils libpango-1.0-0 libpangoft2-1.0-0
  synced || { uv sync --frozen --python "$py" --all-extras --group dev -q && echo "$want" > "$stamp"; }
else
  apt_install fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
  # --inexact keeps the test tools if a dev setup put them there
  synced || { uv sync --frozen --python "$py" --no-dev --inexact -q && echo "$want" > "$stamp"; }
fi
