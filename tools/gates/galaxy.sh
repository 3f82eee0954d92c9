#!/usr/bin/env bash
# Gate 3: galaxy-importer (what galaxy.ansible.com runs on upload) on the collection tarball
# built by ansible-galaxy from a fresh-clone copy of the tree. Configured offline by
# tools/gates/galaxy-importer.cfg (ansible-doc and offline ansible-lint inside the importer;
# ansible-test, which needs containers, is gate 1). Any importer WARNING or ERROR fails the gate.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

export GATES_FINDINGS='^(WARNING|ERROR|CRITICAL|Traceback)'

galaxy() {
    gates_venv
    gates_workdir
    local collection tarball
    collection="$(gates_stage "$GATES_WORK/src")"
    tarball="$(gates_build "$collection" "$GATES_WORK/build")"
    echo "built $(basename "$tarball")"
    cd "$GATES_WORK" || return
    GALAXY_IMPORTER_CONFIG="$GATES_DIR/galaxy-importer.cfg" \
        GALAXY_IMPORTER_TMP_ROOT_DIR="$GATES_WORK" \
        python -m galaxy_importer.main "$tarball" 2>&1 | tee "$GATES_WORK/importer.log"
    if grep -qE "$GATES_FINDINGS" "$GATES_WORK/importer.log"; then
        echo "galaxy-importer reported warnings or errors (above)"
        return 1
    fi
    grep -q '^Importer processing completed successfully' "$GATES_WORK/importer.log"
}

gates_run galaxy galaxy
