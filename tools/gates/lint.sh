#!/usr/bin/env bash
# Gate 2: ansible-lint, profile "production" (see .ansible-lint), over the whole collection:
# playbooks/, meta/, galaxy.yml, changelogs/, docs/ and any YAML examples. Zero violations.
#
# ansible-lint's playbook syntax check must resolve intune.autopilot.* (modules and the
# module_defaults group). ansible.cfg's collections_path shows it the work tree through the committed
# link collections/ansible_collections/intune/autopilot -> ../../.. , so it runs twice, exactly as
# people run a plain `ansible-lint`: in this checkout (what is being edited), and in a fresh
# `git clone` of it with nothing built, no .tmp and no .venv (what an editor meets the moment a
# newcomer opens a clone; committed work only).
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export GATES_FINDINGS='^[^ :]+:[0-9]+(:[0-9]+)?: '

# lint_here <label>: ansible-lint in the current directory; fails on any violation or on a module
# documentation it cannot parse.
lint_here() {
    local out="$GATES_WORK/lint.out"
    echo "== ansible-lint in $1"
    ansible-lint --nocolor -f pep8 --offline --profile production --strict 2>&1 | tee "$out" || return
    # ansible-lint only logs a module documentation it cannot parse (broken RETURN YAML, say) and
    # still exits 0; such a module would not render with ansible-doc, so the gate fails on it.
    if grep -q "Unable to parse documentation" "$out"; then
        echo "lint: a module's documentation does not parse (see the ERROR lines above)"
        return 1
    fi
}

lint() {
    gates_venv
    gates_workdir
    local changes
    changes="$(git -C "$GATES_ROOT" status --porcelain --untracked-files=normal)"
    # A clean checkout holds what the clone holds: linting it again would find nothing new.
    if [[ -n "$changes" ]]; then
        (cd "$GATES_ROOT" && lint_here "the checkout (uncommitted changes)")
    fi
    git clone --quiet "$GATES_ROOT" "$GATES_WORK/clone"
    (cd "$GATES_WORK/clone" && lint_here "a fresh clone of $(git rev-parse --short HEAD)")
    # The link is the checkout's own view of itself: the tarball must not carry it.
    local tarball
    tarball="$(gates_build "$GATES_WORK/clone" "$GATES_WORK/build")"
    if tar -tzf "$tarball" | grep -q '^collections/'; then
        echo "lint: $(basename "$tarball") ships collections/ (galaxy.yml build_ignore must leave it out)"
        return 1
    fi
    gates_note "a fresh clone of HEAD${changes:+, and the uncommitted changes}"
}

gates_run lint lint
