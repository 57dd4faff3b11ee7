#!/bin/sh
# The Debian packages the tests and the PDF reports need, named as arguments (the Makefile's
# SYSTEM_PACKAGES). Those already installed are left alone; the rest are installed with apt-get
# as root, or through sudo where sudo can be used; otherwise this stops at once and prints the
# exact command to run, rather than letting the tests fail one by one later.
set -eu

say() { echo "[system-deps] $*"; }

missing=""
for package in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $package" ;;
    esac
done
missing=${missing# }

if [ -z "$missing" ]; then
    say "all installed: $*"
    exit 0
fi

command="apt-get update && apt-get install -y --no-install-recommends $missing"
if ! command -v apt-get >/dev/null 2>&1; then
    say "missing: $missing"
    say "this machine has no apt-get: install these Debian packages' equivalents yourself, then"
    say "run make with SYSTEM_PACKAGES= (empty) to skip this check."
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    # Passwordless sudo, or a terminal where sudo can ask for the password.
    as_root="sudo"
else
    say "missing: $missing"
    say "installing them needs root; run this, then make again:"
    echo "    sudo sh -c '$command'"
    exit 1
fi

say "installing: $missing"
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # one word per package
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
say "installed: $missing"
