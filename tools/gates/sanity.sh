#!/usr/bin/env bash
# Gate 1: ansible-test sanity on the collection staged at <tmp>/ansible_collections/intune/autopilot.
#
# ansible-test bootstraps pip into each sanity-test virtualenv (kept in ~/.ansible/test/venv, so
# warm runs install nothing) by running get-pip.py from ci-files.testing.ansible.com, cached as
# ~/.ansible/test/cache/get_pip_<pip version>.py. That host is unreachable here, so the cache entry
# is our offline stand-in (tools/gates/get_pip_standin.py: ensurepip + the configured package index).
#
# Environment: GATES_SANITY_PYTHON (default: the gates venv's Python version, 3.11 here),
#              GATES_SANITY_ARGS (extra ansible-test arguments, e.g. "--test pylint").
# tests/sanity/ignore-*.txt: every entry must carry a "# justification" comment (checked first).
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export GATES_FINDINGS='^(ERROR: [^ ]+:[0-9]+:[0-9]+: |ignore: )'

sanity() {
    gates_venv
    gates_workdir

    # Every ignore entry needs a justification: "path test # why".
    local f bad=0
    for f in "$GATES_ROOT"/tests/sanity/ignore-*.txt; do
        [[ -e "$f" ]] || continue
        while IFS= read -r line; do
            [[ -z "${line// /}" || "$line" == \#* ]] && continue
            if [[ "$line" != *" # "?* ]]; then
                echo "ignore: ${f#"$GATES_ROOT"/}: entry without a justification comment: $line"
                bad=1
            fi
        done <"$f"
    done
    [[ $bad -eq 0 ]]

    # The offline pip bootstrap, for the pip version this ansible-test pins.
    local pip_version cache
    pip_version="$(python - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
class Python:  # the only attribute get_venv_packages reads
    version = '.'.join(map(str, __import__('sys').version_info[:2]))
print(get_venv_packages(Python())['pip'])
PY
)"
    cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    mkdir -p "$(dirname "$cache")"
    if [[ ! -e "$cache" ]] || grep -q 'Offline stand-in for the' "$cache"; then
        cp "$GATES_DIR/get_pip_standin.py" "$cache"
    fi

    local collection python
    collection="$(gates_stage "$GATES_WORK")"
    python="${GATES_SANITY_PYTHON:-$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')}"
    cd "$collection" || return
    # shellcheck disable=SC2086  # GATES_SANITY_ARGS is a list of words
    ansible-test sanity --local --python "$python" --color no --truncate 0 ${GATES_SANITY_ARGS:-} || return

    # Modules run on managed-node Pythons down to 3.8 (tests/config.yml): compile and import them
    # with every such interpreter this machine has (pyenv's, when present). A version it lacks is
    # named in the summary line; one older than this Python gets tools/gates/python_syntax.py
    # instead (ast.parse with its feature_version, plus what that lets through).
    local version dir checked=() syntax_only=() unchecked=()
    for version in ${GATES_SANITY_MODULE_PYTHONS:-3.8 3.9 3.10 3.12 3.13}; do
        [[ "$version" != "$python" ]] || continue
        dir="$(compgen -G "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version.*/bin" | head -n 1 || true)"
        if [[ -z "$dir" ]] && ! command -v "python$version" >/dev/null; then
            if [[ "$(printf '%s\n' "$version" "$python" | sort -V | head -n 1)" == "$version" ]]; then
                syntax_only+=("$version")
            else
                unchecked+=("$version")
            fi
            echo "sanity: no Python $version here; compile/import not checked with it"
            continue
        fi
        PATH="${dir:+$dir:}$PATH" ansible-test sanity --local --python "$version" --color no --truncate 0 \
            --test compile --test import || return
        checked+=("$version")
    done
    if [[ ${#syntax_only[@]} -gt 0 ]]; then
        python "$GATES_DIR/python_syntax.py" "${syntax_only[@]/#/--python=}" plugins/modules plugins/module_utils \
            || return
    fi
    gates_note "sanity on $python${checked[*]:+; compile+import on ${checked[*]}}" \
        "${syntax_only[*]:+; not installed, syntax checked with ast only: ${syntax_only[*]}}" \
        "${unchecked[*]:+; not installed and newer than $python, not checked: ${unchecked[*]}}"
}

gates_run sanity sanity
