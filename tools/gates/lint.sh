#!/usr/bin/env bash
# Gate 2: ansible-lint, profile "production" (see .ansible-lint), over the whole collection:
# playbooks/, meta/, galaxy.yml, changelogs/, docs/ and any YAML examples. Zero violations.
#
# ansible-lint's playbook syntax check must resolve intune.autopilot.* (modules and the
# module_defaults group). It runs here exactly as a contributor runs a plain `ansible-lint` from the
# checkout: ansible.cfg's collections_path shows it the work tree through the link
# .tmp/dev/ansible_collections/intune/autopilot, which this gate makes when it is missing.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export GATES_FINDINGS='^[^ :]+:[0-9]+(:[0-9]+)?: '

lint() {
    gates_venv
    local link="$GATES_ROOT/.tmp/dev/ansible_collections/$COLLECTION_NAMESPACE/$COLLECTION_NAME"
    mkdir -p "$(dirname "$link")"
    [[ "$(readlink "$link" || true)" == "$GATES_ROOT" ]] || ln -sfn "$GATES_ROOT" "$link"
    cd "$GATES_ROOT" || return
    local out
    out="$(mktemp)"
    ansible-lint --nocolor -f pep8 --offline --profile production --strict 2>&1 | tee "$out" || return
    # ansible-lint only logs a module documentation it cannot parse (broken RETURN YAML, say) and
    # still exits 0; such a module would not render with ansible-doc, so the gate fails on it.
    if grep -q "Unable to parse documentation" "$out"; then
        echo "lint: a module's documentation does not parse (see the ERROR lines above)"
        return 1
    fi
}

gates_run lint lint
