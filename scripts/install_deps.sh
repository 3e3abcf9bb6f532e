#!/usr/bin/env bash
# Installs everything edgepipe builds, tests and runs with: Debian packages and
# the npm packages pinned in package-lock.json. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake pkg-config git
  libprotobuf-dev protobuf-compiler
  flatbuffers-compiler libflatbuffers-dev
  libsqlite3-dev sqlite3 zlib1g-dev libisal-dev libssl-dev libpng-dev libjpeg62-turbo-dev
  # The metadata store on PostgreSQL: libpq to build; the server (initdb,
  # pg_ctl) and psql for the tests, which start a server of their own.
  libpq-dev postgresql postgresql-client
  # MPI: sharded evaluation/statistics and the mpi runner; mpirun for their tests.
  openmpi-bin libopenmpi-dev
  libdnnl-dev ocl-icd-opencl-dev libgemmlowp-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22
  dataset-fashion-mnist
  nodejs npm
  chromium fonts-dejavu-core  # statistics.html in a headless browser; a font so text renders
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A machine that already has Node.js >= 18 from elsewhere keeps it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs/}"); missing=("${missing[@]/npm/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # Installing postgresql creates a "main" cluster and may start it on port
  # 5432. Nothing here uses it (tests start their own server on a free port);
  # stop the one this install just started so it holds no port or memory.
  if printf '%s\n' "${missing[@]}" | grep -qx postgresql && command -v pg_lsclusters >/dev/null; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
      if [ "$status" = online ]; then
        echo "stopping PostgreSQL cluster $version/$cluster started by the package install" >&2
        $SUDO pg_ctlcluster "$version" "$cluster" stop || true
      fi
    done
  fi
fi

# A node_modules that is a symlink belongs to another checkout (a git
# worktree sharing it): `npm ci` would empty it under that checkout's feet.
if [ -L node_modules ]; then
  echo "node_modules is a symlink (to $(readlink node_modules)); not running npm ci here" >&2
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
