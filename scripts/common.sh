# Shared by demo.sh and test.sh: fresh-machine set-up that both need.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ensure_azurite() {
  # npm ci is skipped when the Azurite that package.json names is already installed. (Comparing file times instead
  # would reinstall after every checkout, and a reinstall empties node_modules while other processes use it.)
  local want have
  want=$(node -p "require('./package.json').devDependencies.azurite" 2>/dev/null || true)
  have=$(node -p "require('./node_modules/azurite/package.json').version" 2>/dev/null || true)
  if [ ! -x node_modules/.bin/azurite ] || [ -z "$want" ] || [ "$want" != "$have" ]; then
    echo "==> npm ci (Azurite)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_chromium() {
  # The review-page tests drive Debian's Chromium through Playwright (Playwright's own browser download is not used).
  if [ ! -x "${SYNTHPREF_CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "==> apt-get install chromium"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
}

build_solution() {
  echo "==> dotnet build (Release)"
  # Warnings are shown, not hidden: the core treats them as errors, and the rest of the solution is kept at zero.
  dotnet build SynthPref.sln -c Release --nologo -v quiet
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_port() { # port seconds
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for port $1" >&2; return 1; }
    sleep 0.5
  done
}

wait_http() { # url seconds
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for $url" >&2; return 1; }
    sleep 0.5
  done
}
