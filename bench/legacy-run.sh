#!/usr/bin/env bash
# The old engine (Workbench.Autograd) and the TorchSharp-based library measured in one session on one machine, so that
# the project keeps one table of both before the old engine is deleted (bench/legacy-vs-torchsharp.md).
#
#   git worktree add /work/wt-legacy 5545542      # a tree with the old engine and its benchmark program
#   bench/legacy-run.sh /work/wt-legacy           # full run, writes bench/legacy-vs-torchsharp.md
#   bench/legacy-run.sh /work/wt-legacy --quick   # a short check that everything runs (writes to /tmp)
#
# The old half runs the old program's train (relu, swish, mish, iwae-paper), eval (k = 1000) and conv workloads against
# its PyTorch peer; the new half runs this tree's `all`, which reads the old half's output and prints both engines in one
# markdown table. Run it on a quiet machine: both halves alternate with their own PyTorch peer, whose two columns in the
# table show how much the machine's speed moved between the halves.
set -euo pipefail

usage() {
    echo "usage: bench/legacy-run.sh LEGACY_TREE [--quick] [--out FILE]" >&2
    echo "  LEGACY_TREE  a checkout of a commit with the old engine (e.g. git worktree add /work/wt-legacy 5545542)" >&2
    echo "  --quick      1 round and short workloads on both halves: checks that everything runs; numbers are not a record" >&2
    echo "  --out FILE   where to write the record (default bench/legacy-vs-torchsharp.md; with --quick, a file under /tmp)" >&2
    exit 1
}

here=$(cd "$(dirname "$0")/.." && pwd)
legacy="" quick=0 out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift ;;
        -h|--help) usage ;;
        -*) echo "legacy-run.sh: unknown option '$1'." >&2; usage ;;
        *) [ -z "$legacy" ] || usage; legacy=$1 ;;
    esac
    shift
done
[ -n "$legacy" ] || usage
[ -d "$legacy" ] || { echo "legacy-run.sh: '$legacy' is not a folder." >&2; exit 1; }
legacy=$(cd "$legacy" && pwd)
if [ ! -f "$legacy/src/Workbench.Autograd/Workbench.Autograd.csproj" ] \
    || ! grep -q 'Workbench.Autograd' "$legacy/bench/Workbench.Bench/Workbench.Bench.csproj" 2>/dev/null; then
    echo "legacy-run.sh: '$legacy' has no old engine with its benchmark program (src/Workbench.Autograd, bench/Workbench.Bench on it)." >&2
    echo "Make one with: git -C $here worktree add /work/wt-legacy 5545542" >&2
    exit 1
fi

# Both halves read the same MNIST files; the old program finds them through WORKBENCH_DATA as the new one does.
export WORKBENCH_DATA=${WORKBENCH_DATA:-$here/data}
if [ ! -e "$WORKBENCH_DATA/mnist/train-images-idx3-ubyte" ] && [ ! -e "$WORKBENCH_DATA/mnist/train-images-idx3-ubyte.gz" ]; then
    echo "legacy-run.sh: MNIST is not in $WORKBENCH_DATA/mnist. Run 'dotnet run --project src/Workbench.Cli -- data fetch mnist' in $here," >&2
    echo "or set WORKBENCH_DATA to the folder that holds mnist/." >&2
    exit 1
fi

if [ -z "$out" ]; then
    if [ $quick = 1 ]; then out=${TMPDIR:-/tmp}/legacy-vs-torchsharp-quick.md; else out=$here/bench/legacy-vs-torchsharp.md; fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "Building both benchmark programs (Release) ..." >&2
dotnet build -c Release -nologo -v q "$legacy/bench/Workbench.Bench/Workbench.Bench.csproj" >&2
dotnet build -c Release -nologo -v q "$here/bench/Workbench.Bench/Workbench.Bench.csproj" >&2
old_bench=$legacy/bench/Workbench.Bench/bin/Release/net10.0/Workbench.Bench.dll
new_bench=$here/bench/Workbench.Bench/bin/Release/net10.0/Workbench.Bench.dll

if [ $quick = 1 ]; then
    train=(--steps 200 --rounds 1) nll=(--images 500) conv=(--steps 10 --rounds 1) all=(--quick)
else
    train=() nll=() conv=() all=()
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
old() { (cd "$legacy" && dotnet "$old_bench" "$@") | tee -a "$work/legacy.txt"; }
echo "Old engine: train, eval, conv ..." >&2
old train "${train[@]}" --activation relu
old train "${train[@]}" --activation swish
old train "${train[@]}" --activation mish
old train "${train[@]}" --model iwae-paper
old eval "${nll[@]}" --k 1000
old conv "${conv[@]}"
load_between=$(cut -d' ' -f1-3 /proc/loadavg)

echo "TorchSharp: all ..." >&2
(cd "$here" && dotnet "$new_bench" all "${all[@]}" --legacy "$work/legacy.txt") | tee "$work/torchsharp.txt"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

commit() {
    printf '%s' "$(git -C "$1" rev-parse --short HEAD)"
    [ -z "$(git -C "$1" status --porcelain --untracked-files=no)" ] || printf ' (with uncommitted changes)'
}
{
    if [ $quick = 1 ]; then
        echo "# Old engine vs TorchSharp: QUICK check run (short workloads, one round; not a record)"
    else
        echo "# Old engine vs TorchSharp, measured in one session"
    fi
    echo
    echo "Written by \`bench/legacy-run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "- old engine (Workbench.Autograd): commit $(commit "$legacy"); TorchSharp library: commit $(commit "$here")"
    echo "- load average (1, 5, 15 min): before $load_before; between the halves $load_between; after $load_after"
    echo "- OMP_WAIT_POLICY: ${OMP_WAIT_POLICY:-unset} (libgomp's, for libtorch and the PyTorch peer; the old engine has its own threads)"
    echo
    echo "Each half alternates with its own run of the PyTorch peer; times are medians over the rounds. Ratios below 1 mean"
    echo "the first named is faster. (a) is our Trainer (the library call users make for eval), (b) the raw TorchSharp loop."
    echo
    grep '^|' "$work/torchsharp.txt" || echo "(no table: see the outputs below)"
    echo
    echo "## TorchSharp half: \`all ${all[*]}\`"
    echo
    echo '```'
    grep -v -e '^|' -e '^Old engine (Workbench.Autograd) and TorchSharp' "$work/torchsharp.txt" | sed -e '/./,$!d' | cat -s
    echo '```'
    echo
    echo "## Old engine half: train (relu, swish, mish, iwae-paper), eval, conv"
    echo
    echo '```'
    cat "$work/legacy.txt"
    echo '```'
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "Wrote $out" >&2
