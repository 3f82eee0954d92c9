#!/usr/bin/env bash
# Gate 2: ansible-lint, profile "production" (see .ansible-lint), over the whole collection:
# playbooks/, meta/, galaxy.yml, changelogs/, docs/ and any YAML examples. Zero violations.
#
# ansible-lint's playbook syntax check must resolve intune.autopilot.* (modules and the
# module_defaults group), so the work tree itself is exposed as
# .tmp/gates/lint/ansible_collections/intune/autopilot (a symlink) on ANSIBLE_COLLECTIONS_PATH.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export GATES_FINDINGS='^[^ :]+:[0-9]+(:[0-9]+)?: '

lint() {
    gates_venv
    local root="$GATES_TMP/lint"
    mkdir -p "$root/ansible_collections/$COLLECTION_NAMESPACE"
    ln -sfn "$GATES_ROOT" "$root/ansible_collections/$COLLECTION_NAMESPACE/$COLLECTION_NAME"
    cd "$GATES_ROOT" || return
    ANSIBLE_COLLECTIONS_PATH="$root" ansible-lint --nocolor -f pep8 --offline --profile production --strict
}

gates_run lint lint
