#!/usr/bin/env bash
# Run every quality gate (or the ones named: all.sh lint docs), one summary line each, and exit
# non-zero when any failed. The gates virtualenv is set up once, first ("gate setup" line).
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

gates=("$@")
[[ ${#gates[@]} -gt 0 ]] || gates=(changelog lint docs galaxy sanity)

gates_run setup gates_venv || exit 1
failed=()
start=$(date +%s)
for gate in "${gates[@]}"; do
    "$GATES_DIR/$gate.sh" || failed+=("$gate")
done
secs=$(( $(date +%s) - start ))
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "gates: FAIL in ${secs}s: ${failed[*]} ($(( ${#gates[@]} - ${#failed[@]} ))/${#gates[@]} passed)"
    exit 1
fi
echo "gates: PASS in ${secs}s (${#gates[@]}/${#gates[@]}: ${gates[*]})"
