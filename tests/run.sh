#!/bin/sh
# Runs every test binary given as an argument and every tests/cli_*.sh script (with $MOMU_BIN),
# then prints one summary line: "N passed, N failed".
pass=0; fail=0; broken=""
tally() { # $1 = output file, $2 = exit status, $3 = name
    p=$(grep -c '^PASS ' "$1"); f=$(grep -c '^FAIL ' "$1")
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then fail=$((fail + 1)); broken="$broken $3"; echo "FAIL $3 (exit $2 with no failed case: crashed?)"; fi
}
out=$(mktemp); trap 'rm -f "$out"' EXIT
for t in "$@"; do
    echo "== $t"
    "$t" > "$out"; rc=$?
    cat "$out"; tally "$out" "$rc" "$t"
done
for s in tests/cli_*.sh; do
    [ -f "$s" ] || continue
    echo "== $s"
    sh "$s" > "$out"; rc=$?
    cat "$out"; tally "$out" "$rc" "$s"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
