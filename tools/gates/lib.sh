# shellcheck shell=bash
# Shared helpers for the quality gates in tools/gates/ (sourced, not run).
#
# Every gate: sets itself up from a fresh clone (the gates virtualenv from requirements-gates.txt),
# works offline once that venv exists, writes its full output to .tmp/gates/logs/<gate>.log,
# prints exactly one summary line on stdout ("gate <name>: PASS|FAIL in <n>s ...") and exits
# non-zero on failure. GATES_VERBOSE=1 streams the tool output as well; on failure the log's
# findings are printed to stderr either way.

set -euo pipefail

GATES_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck disable=SC2034  # used by the gates that source this file
GATES_DIR="$GATES_ROOT/tools/gates"
GATES_TMP="$GATES_ROOT/.tmp/gates"
GATES_VENV="${GATES_VENV:-$GATES_ROOT/.tmp/gates-venv}"
GATES_PYTHON="${GATES_PYTHON:-${PYTHON:-python3}}"
GATES_LOGS="$GATES_TMP/logs"
COLLECTION_NAMESPACE=intune
COLLECTION_NAME=autopilot

mkdir -p "$GATES_LOGS"

# The Makefile exports these for its own targets; every gate decides them itself.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS ANSIBLE_COLLECTIONS_SCAN_SYS_PATH
export ANSIBLE_NOCOLOR=1 NO_COLOR=1 PY_COLORS=0 ANSIBLE_FORCE_COLOR=0
export PIP_DISABLE_PIP_VERSION_CHECK=1

# gates_venv: create/refresh .tmp/gates-venv from requirements-gates.txt (skipped when the
# requirements did not change since the last install), and put it first on PATH.
gates_venv() {
    local stamp="$GATES_VENV/.requirements.sha256" want
    want="$(sha256sum "$GATES_ROOT/requirements-gates.txt" | cut -d' ' -f1)"
    mkdir -p "$(dirname "$GATES_VENV")"
    (
        flock 9
        if [[ ! -x "$GATES_VENV/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
            rm -f "$stamp"
            "$GATES_PYTHON" -m venv "$GATES_VENV"
            "$GATES_VENV/bin/python" -m pip install -qq --upgrade pip
            "$GATES_VENV/bin/python" -m pip install -qq -r "$GATES_ROOT/requirements-gates.txt"
            echo "$want" >"$stamp"
        fi
    ) 9>"$GATES_VENV.lock"
    export PATH="$GATES_VENV/bin:$PATH"
    export VIRTUAL_ENV="$GATES_VENV"
}

# gates_stage <dir>: copy the collection as a fresh clone would have it (tracked files plus new,
# not ignored files; never .venv, .tmp or build output) to <dir>/ansible_collections/<ns>/<name>.
# Files only: the link collections/ansible_collections/intune/autopilot (a link to a directory,
# which ansible-test's symlinks test refuses, and which the tarball leaves out) stays behind.
# Prints the collection directory.
gates_stage() {
    local dest="$1/ansible_collections/$COLLECTION_NAMESPACE/$COLLECTION_NAME"
    mkdir -p "$dest"
    (
        cd "$GATES_ROOT" || return
        git ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' f; do [[ -e "$f" && ! -d "$f" ]] && printf '%s\0' "$f"; done \
            | tar --null -T - -cf - \
            | tar -xf - -C "$dest"
    )
    echo "$dest"
}

# gates_build <collection dir> <out dir>: ansible-galaxy collection build; prints the tarball.
gates_build() {
    ansible-galaxy collection build --force --output-path "$2" "$1" >/dev/null
    ls "$2"/"$COLLECTION_NAMESPACE"-"$COLLECTION_NAME"-*.tar.gz
}

# gates_workdir: a scratch directory outside the git work tree (ansible-test asks git for the
# file list when it finds a repository above the collection), removed when the gate ends.
gates_workdir() {
    GATES_WORK="$(mktemp -d "${TMPDIR:-/tmp}/intune-autopilot-gate.XXXXXX")"
    trap 'rm -rf "$GATES_WORK"' EXIT
}

# gates_note <text>...: a remark for the gate's summary line (what it checked, what it could not).
gates_note() {
    local IFS=
    printf '%s' "$*" >>"$GATES_LOGS/$GATES_NAME.note"
}

# gates_run <name> <function>: run a gate body with logging, timing and the one-line summary.
# The body's stdout/stderr go to the log (and the terminal with GATES_VERBOSE=1). On failure the
# log lines matching GATES_FINDINGS (an extended regex) are echoed to stderr and counted.
gates_run() {
    local name="$1" body="$2" log="$GATES_LOGS/$1.log" start rc=0 secs count note
    start=$(date +%s)
    : >"$log"
    export GATES_NAME="$name"
    rm -f "$GATES_LOGS/$name.note"
    # The body runs in a subshell that is not part of an && / || / if list: only there does
    # errexit stay in force inside it (bash ignores set -e in such contexts).
    set +e
    if [[ "${GATES_VERBOSE:-0}" == 1 ]]; then
        ( set -euo pipefail; "$body" ) 2>&1 | tee -a "$log"
        rc=${PIPESTATUS[0]}
    else
        ( set -euo pipefail; "$body" ) >>"$log" 2>&1
        rc=$?
    fi
    set -e
    secs=$(( $(date +%s) - start ))
    note="$(cat "$GATES_LOGS/$name.note" 2>/dev/null || true)"
    if [[ $rc -eq 0 ]]; then
        echo "gate $name: PASS in ${secs}s${note:+ ($note)}"
        return 0
    fi
    count=$(grep -cE "${GATES_FINDINGS:-^}" "$log" || true)
    if [[ "${GATES_VERBOSE:-0}" != 1 ]]; then
        if [[ -n "${GATES_FINDINGS:-}" && $count -gt 0 ]]; then
            grep -E "$GATES_FINDINGS" "$log" | head -n 200 >&2
        else
            tail -n 40 "$log" >&2
        fi
    fi
    if [[ -n "${GATES_FINDINGS:-}" ]]; then
        echo "gate $name: FAIL in ${secs}s, $count finding(s) (full output: ${log#"$GATES_ROOT"/})"
    else
        echo "gate $name: FAIL in ${secs}s (full output: ${log#"$GATES_ROOT"/})"
    fi
    return "$rc"
}
