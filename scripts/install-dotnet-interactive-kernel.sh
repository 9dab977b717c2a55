#!/usr/bin/env bash
# Registers .NET Interactive's C# kernel with Jupyter as kernel '.net-csharp', with its HTTP services bound to the
# loopback interface only (--http-local-only). The tool's own `dotnet interactive jupyter install` writes kernelspecs
# that listen on every interface; this script derives the C# one from what the tool writes and adds the flag.
#
#   scripts/install-dotnet-interactive-kernel.sh --user          # for this user (Jupyter's user data folder)
#   scripts/install-dotnet-interactive-kernel.sh --prefix DIR    # into DIR/share/jupyter/kernels (an environment)
#
# Remove it with `jupyter kernelspec uninstall .net-csharp`. See docs/notebooks.md.
set -euo pipefail

fail() { echo "install-dotnet-interactive-kernel: $*" >&2; exit 1; }
usage() { fail "usage: $0 --user | --prefix DIR"; }

case "${1:-}" in
  --user) (($# == 1)) || usage; target=(--user) ;;
  --prefix) (($# == 2)) && [[ -n "$2" ]] || usage; target=(--prefix "$2") ;;
  *) usage ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v dotnet >/dev/null || fail "the .NET 10 SDK is required (dotnet not found on PATH)."
command -v jupyter >/dev/null || fail "Jupyter is required (jupyter not found on PATH): apt-get install jupyter-client python3-jupyter-client."
command -v python3 >/dev/null || fail "python3 is required to write the kernelspec."

# The pinned tool (.config/dotnet-tools.json); quick when it is already installed.
(cd "$root" && dotnet tool restore >/dev/null) ||
  fail "dotnet tool restore failed in $root: the pinned .NET Interactive tool (.config/dotnet-tools.json) could not be installed from the NuGet feed."
version="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tools"]["microsoft.dotnet-interactive"]["version"])' \
  "$root/.config/dotnet-tools.json")"
packages="$(cd "$root" && dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')"
entry="$(ls "${packages%/}"/microsoft.dotnet-interactive/"$version"/tools/*/any/Microsoft.DotNet.Interactive.App.dll 2>/dev/null | head -n 1)"
[[ -n "$entry" ]] || fail "Microsoft.dotnet-interactive $version is not in the NuGet package folder ${packages%/} after dotnet tool restore."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1
dotnet "$entry" jupyter install --path "$work" >/dev/null || fail "dotnet interactive jupyter install --path failed."
spec="$work/.net-csharp/kernel.json"
[[ -f "$spec" ]] || fail "dotnet interactive jupyter install wrote no .net-csharp kernelspec into $work."

python3 - "$spec" "$entry" <<'PY'
import json, sys

path, entry = sys.argv[1], sys.argv[2]
with open(path) as f:
    spec = json.load(f)
argv = spec["argv"]
if argv[:2] != ["dotnet", "interactive"]:
    sys.exit(f"install-dotnet-interactive-kernel: unexpected argv in the tool's kernelspec: {argv}")
# `dotnet interactive` finds a local tool only below the folder of its manifest, and Jupyter starts kernels in the
# notebook's folder; the tool's own entry point runs wherever the notebook is.
argv[1:2] = [entry]
if "--http-local-only" not in argv:
    argv.append("--http-local-only")
spec.setdefault("env", {})["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1"
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
PY

jupyter kernelspec install --replace --name .net-csharp "${target[@]}" "$work/.net-csharp" >/dev/null
echo "Installed kernel '.net-csharp' ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["display_name"])' "$spec")): dotnet $entry jupyter ... --http-local-only"
