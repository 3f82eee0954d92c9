#!/usr/bin/env bash
# Gate 5: antsibull-changelog. Lints changelogs/config.yaml and the fragments, lints
# changelogs/changelog.yaml, and checks that CHANGELOG.md is what antsibull-changelog generates
# from changelogs/changelog.yaml (regenerated in a scratch copy; the work tree is not touched).
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export GATES_FINDINGS='^(changelogs/|CHANGELOG|[-+][^-+])'

changelog() {
    gates_venv
    gates_workdir
    cd "$GATES_ROOT" || return
    antsibull-changelog lint
    antsibull-changelog lint-changelog-yaml --strict changelogs/changelog.yaml

    local copy="$GATES_WORK/collection"
    mkdir -p "$copy"
    cp -r galaxy.yml changelogs "$copy/"
    cp CHANGELOG.md "$copy/CHANGELOG.md.committed"
    (cd "$copy" && antsibull-changelog generate --is-collection)
    if ! diff -u "$copy/CHANGELOG.md.committed" "$copy/CHANGELOG.md"; then
        echo "CHANGELOG.md is out of date: run 'antsibull-changelog generate' (in the gates venv) and commit it"
        return 1
    fi
}

gates_run changelog changelog
