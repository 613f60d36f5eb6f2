#!/usr/bin/env bash
# Starts the registry locally: Azurite (the Azure Storage emulator) and the standalone host on
# http://localhost:5000 (127.0.0.1 and ::1). Ctrl+C stops both.
#   scripts/start-local.sh [--persist] [host options such as --urls http://0.0.0.0:5000]
# --persist keeps Azurite's data in .azurite/ between runs (in memory otherwise).
# The system administrator is "admin"; its password is $REGISTRY_ADMIN_PASSWORD, or one made at the first start
# and kept in .registry-admin-password (readable by you only).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AZURITE_ARGS=()
if [ "${1:-}" = "--persist" ]; then AZURITE_ARGS=(--persist); shift; fi

started=0
if ! curl -s -o /dev/null http://127.0.0.1:10000/; then
  "$ROOT/scripts/azurite.sh" start "${AZURITE_ARGS[@]}"
  started=1
fi
[ "$started" = 1 ] && trap '"$ROOT/scripts/azurite.sh" stop' EXIT

PASSWORD_FILE="$ROOT/.registry-admin-password"
if [ -z "${REGISTRY_ADMIN_PASSWORD:-}" ]; then
  if [ ! -s "$PASSWORD_FILE" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$PASSWORD_FILE")
  fi
  REGISTRY_ADMIN_PASSWORD="$(cat "$PASSWORD_FILE")"
  echo "administrator: admin, password in $PASSWORD_FILE"
fi
export Registry__Auth__AdminPassword="$REGISTRY_ADMIN_PASSWORD"

dotnet build "$ROOT/functions/Registry.Functions/Registry.Functions.csproj" -c Release -nologo -v quiet
dotnet "$ROOT/functions/Registry.Functions/bin/Release/net10.0/Registry.Functions.dll" "$@"
