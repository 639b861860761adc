#!/usr/bin/env bash
# apt-install.sh CHECK PACKAGE...: install Debian packages a test needs, only when CHECK (a path or a
# glob) matches nothing, so a machine that has them is left alone; sudo only when not root.
set -euo pipefail
check="$1"
shift
if compgen -G "$check" >/dev/null; then
  exit 0
fi
sudo=""
[[ "$(id -u)" -eq 0 ]] || sudo="sudo"
echo "apt-install: $check is missing; installing $*"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
