# Sourced by the setup scripts of scripts/ref and scripts/peers: ensure_venv ENV REQUIREMENTS
# [PIP ARGS...] creates the virtual environment ENV (once) with the pinned REQUIREMENTS, and
# prints its python. It reinstalls only when the requirements file changes (its SHA-256 is kept
# in ENV/.requirements.sha256).
ensure_venv() {
  local env=$1 reqs=$2; shift 2
  local stamp=$env/.requirements.sha256 want
  want=$(sha256sum "$reqs" | cut -d' ' -f1)
  if [[ -x $env/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "$env/bin/python"; return 0
  fi
  python3 -m venv "$env" >&2
  "$env/bin/pip" install --quiet --disable-pip-version-check "$@" -r "$reqs" >&2
  echo "$want" >"$stamp"
  echo "$env/bin/python"
}
