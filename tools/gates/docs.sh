#!/usr/bin/env bash
# Gate 4: the collection's documentation.
#  1. antsibull-docs lint-collection-docs --plugin-docs on a fresh-clone copy of the tree
#     (docs/docsite/*.yml, the guides, and every plugin's DOCUMENTATION/EXAMPLES/RETURN);
#  2. the docsite built to HTML for the *installed* collection (ansible-galaxy build + install):
#     antsibull-docs sphinx-init, antsibull-docs collection, sphinx-build -W (nitpicky).
# Offline: intersphinx reads a local inventory of the Ansible docs labels we link to
# (tools/gates/docs_inventory.py) instead of downloading docs.ansible.com's.
# The HTML is left in .tmp/gates/docs/build/html for a look.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export GATES_FINDINGS='^[^ :]+:[0-9]+:[0-9]+: |: (WARNING|ERROR): |^(ERROR|missing page)'

docs() {
    gates_venv
    gates_workdir
    local collection tarball site="$GATES_TMP/docs" fqcn="$COLLECTION_NAMESPACE.$COLLECTION_NAME"
    collection="$(gates_stage "$GATES_WORK/src")"

    echo "== antsibull-docs lint-collection-docs --plugin-docs"
    (
        cd "$collection" || return
        ANSIBLE_COLLECTIONS_PATH="$GATES_WORK/src" \
            antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all \
            --disallow-unknown-collection-refs .
    )

    echo "== build and install the collection"
    tarball="$(gates_build "$collection" "$GATES_WORK/build")"
    export ANSIBLE_COLLECTIONS_PATH="$GATES_WORK/installed"
    ansible-galaxy collection install --force --offline -p "$GATES_WORK/installed" "$tarball" >/dev/null

    echo "== docsite: sphinx-init, antsibull-docs collection, sphinx-build"
    rm -rf "$site" && mkdir -p "$site"
    antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
        --project "$fqcn" --title "$fqcn collection" --html-short-title "$fqcn" \
        --copyright "$fqcn contributors" --dest-dir "$site" "$fqcn"
    python "$GATES_DIR/docs_inventory.py" "$site/ansible_devel.inv"
    cat >>"$site/conf.py" <<PY

# tools/gates/docs.sh: offline build; intersphinx uses the local inventory of Ansible docs labels.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '$site/ansible_devel.inv'),
}
intersphinx_disabled_reftypes = []
PY
    mkdir -p "$site/rst"
    chmod og-w "$site/rst"
    (
        cd "$site" || return
        antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything \
            --fail-on-error --use-current --squash-hierarchy --dest-dir rst "$fqcn"
        sphinx-build -M html rst build -c . -W --keep-going -q
    )
    local page
    for page in index autopilot_sync_module windows_autopilot_settings_module; do
        [[ -s "$site/build/html/$page.html" ]] || { echo "missing page: $page.html"; return 1; }
    done
    echo "docsite: ${site#"$GATES_ROOT"/}/build/html/index.html"
}

gates_run docs docs
