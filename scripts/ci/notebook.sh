#!/usr/bin/env bash
# Executes the project's Go notebooks headless and fails when any cell fails.
#
#   scripts/ci/notebook.sh [NOTEBOOK.ipynb ...]     (default: notebooks/quickstart.ipynb)
#
# Installs what a fresh Debian machine lacks, each step skipped when already done:
#   - Jupyter from Debian's packages (jupyter-nbconvert, jupyter-client; needs root or sudo, apt);
#   - goimports (gonb runs it on every cell) with `go install`;
#   - the gonb kernel, built from a throw-away module that requires it (`go install gonb@version`
#     fails on the module proxy here: see STACK.md), then registered with `gonb --install`.
# Then executes each notebook as `jupyter nbconvert --to notebook --execute` does (with nbclient,
# which nbconvert uses), and fails when a cell fails: a Go compile error, a panic, a non-zero exit
# of the cell's program, or (gonb itself does not fail those cells) a failed `!` shell command.
# The outputs of failed cells are printed; the executed notebooks are kept.
#
# Environment:
#   NOTEBOOK_OUT   directory for the executed notebooks (default: a new temporary directory)
#   NOTEBOOK_TIMEOUT  seconds a cell may run (default 600)
#   JUPYTER        the jupyter command (default /usr/bin/jupyter, Debian's, not a pyenv/pip one)
set -euo pipefail
cd "$(dirname "$0")/../.."

# The machines pin GOTOOLCHAIN=local in the go env file; the project needs go1.27.4 and GoMLX's
# SIMD kernels. The kernel inherits both (and the kernel spec records them too).
export GOTOOLCHAIN=go1.27.4
export GOEXPERIMENT=simd
GONB_VERSION=v0.11.5
GOIMPORTS_VERSION=v0.52.0
JUPYTER=${JUPYTER:-/usr/bin/jupyter}
TIMEOUT=${NOTEBOOK_TIMEOUT:-600}

gobin=$(go env GOBIN)
if [ -z "$gobin" ]; then
	gobin="$(go env GOPATH | cut -d: -f1)/bin"
fi
mkdir -p "$gobin"
export PATH="$gobin:$PATH"

log=$(mktemp "${TMPDIR:-/tmp}/notebook-setup.XXXXXX.log")
fail() {
	echo "notebook.sh: $*" >&2
	if [ -s "$log" ]; then
		echo "--- last lines of $log:" >&2
		tail -n 40 "$log" >&2
	fi
	exit 1
}

# Debian's python3, not a pyenv shim: Debian's Jupyter modules live in its dist-packages.
jupyter_ok() {
	"$JUPYTER" nbconvert --version >/dev/null 2>&1 && "$JUPYTER" kernelspec --version >/dev/null 2>&1 &&
		/usr/bin/python3 -c 'import nbclient, nbformat' >/dev/null 2>&1
}

echo "== jupyter (Debian packages)"
if ! jupyter_ok; then
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		SUDO="sudo"
	fi
	export DEBIAN_FRONTEND=noninteractive
	pkgs=(jupyter-nbconvert jupyter-client)
	# Try with the package lists at hand first; refresh them only when that fails.
	if ! $SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$log" 2>&1; then
		$SUDO apt-get update -q >>"$log" 2>&1 || fail "apt-get update failed"
		$SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$log" 2>&1 ||
			fail "apt-get install ${pkgs[*]} failed"
	fi
	jupyter_ok || fail "$JUPYTER nbconvert, $JUPYTER kernelspec or python3's nbclient do not work after the install"
fi
echo "nbconvert $("$JUPYTER" nbconvert --version 2>/dev/null)"

echo "== goimports"
if ! command -v goimports >/dev/null 2>&1; then
	go install "golang.org/x/tools/cmd/goimports@$GOIMPORTS_VERSION" >>"$log" 2>&1 ||
		fail "go install goimports@$GOIMPORTS_VERSION failed"
fi
command -v goimports

echo "== gonb $GONB_VERSION"
if [ "$("$gobin/gonb" -V 2>/dev/null | head -n 1)" != "$GONB_VERSION" ]; then
	build=$(mktemp -d "${TMPDIR:-/tmp}/gonb-build.XXXXXX")
	(
		cd "$build"
		printf 'module gonbbuild\n\ngo 1.27\n' >go.mod
		go get "github.com/janpfeifer/gonb@$GONB_VERSION"
		go build -o "$gobin/gonb" github.com/janpfeifer/gonb
	) >>"$log" 2>&1 || fail "building gonb $GONB_VERSION failed"
	rm -rf "$build"
fi
# gopls only serves auto-completion in an interactive session: --force_deps installs without it.
# --raw_error makes gonb report errors as plain text, readable in CI logs.
gonb --install --force_deps --raw_error >>"$log" 2>&1 || fail "gonb --install failed"
# Record the Go settings in the kernel spec, so an interactive Jupyter started without them still
# builds cells with the project's toolchain.
kernelspec=$("$JUPYTER" kernelspec list --json 2>>"$log" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["kernelspecs"]["gonb"]["resource_dir"])') ||
	fail "the gonb kernel is not registered with $JUPYTER"
/usr/bin/python3 - "$kernelspec/kernel.json" <<'EOF' || fail "could not write the kernel spec's env"
import json, os, sys
p = sys.argv[1]
spec = json.load(open(p))
spec.setdefault("env", {}).update({"GOTOOLCHAIN": os.environ["GOTOOLCHAIN"], "GOEXPERIMENT": os.environ["GOEXPERIMENT"]})
tmp = p + ".tmp"
with open(tmp, "w") as f:
    json.dump(spec, f, indent=1)
os.replace(tmp, p)
EOF
echo "kernel: $kernelspec"

out=${NOTEBOOK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/notebooks.XXXXXX")}
mkdir -p "$out"
if [ $# -eq 0 ]; then
	set -- notebooks/quickstart.ipynb
fi
status=0
for nb in "$@"; do
	[ -f "$nb" ] || fail "no notebook $nb"
	echo "== execute $nb"
	start=$(date +%s)
	# What `jupyter nbconvert --to notebook --execute` does (nbclient, the kernel started in the
	# notebook's folder), but the executed notebook is written even when a cell fails, and the
	# outputs of failed cells (compiler errors, panics) are printed here.
	if /usr/bin/python3 - "$nb" "$out/$(basename "$nb")" "$TIMEOUT" <<'EOF'; then
import datetime, os, re, sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

src, dst, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=timeout, kernel_name="gonb",
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
stopped = None
try:
    client.execute()
except CellExecutionError as e:
    stopped = "a cell failed"
except Exception as e:  # kernel died, timeout, ...
    stopped = "%s: %s" % (type(e).__name__, e)
finally:
    nbformat.write(nb, dst)

def seconds(c):
    t = c.get("metadata", {}).get("execution", {})
    a, b = t.get("iopub.execute_input"), t.get("shell.execute_reply")
    if not a or not b:
        return None
    p = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (p(b) - p(a)).total_seconds()

def text(o):
    if o.get("output_type") == "stream":
        return o.get("text", "")
    if o.get("output_type") == "error":
        return "%s: %s\n%s" % (o.get("ename"), o.get("evalue"), "\n".join(o.get("traceback", [])))
    return ""

bad = 0
for i, c in enumerate(nb.cells):
    if c.cell_type != "code":
        continue
    src_text = c.source.lstrip()
    why = None
    for o in c.get("outputs", []):
        if o.get("output_type") == "error":
            why = "error"
        # gonb does not fail a cell whose `!` shell command fails: it only prints "exit status N".
        elif src_text.startswith("!") and o.get("name") == "stderr" and \
                re.search(r"^exit status [0-9]+$", o.get("text", ""), re.M):
            why = "shell command failed"
    d = seconds(c)
    print("  cell %2d  %6s  %s" % (i, "%.1fs" % d if d is not None else "-", why or ("ok" if d is not None else "not run")))
    if why:
        bad += 1
        out = "".join(text(o) for o in c.get("outputs", [])).rstrip("\n").split("\n")
        print("\n".join("      | " + l for l in out[-60:]), file=sys.stderr)
if stopped:
    print("stopped: " + stopped, file=sys.stderr)
sys.exit(1 if bad or stopped else 0)
EOF
		echo "ok   $nb ($(($(date +%s) - start)) s) -> $out/$(basename "$nb")"
	else
		echo "FAIL $nb ($(($(date +%s) - start)) s): executed notebook in $out/$(basename "$nb")" >&2
		status=1
	fi
done
exit "$status"
