#!/bin/sh
# Gathers into ROOT what max-server needs at run time and nothing else, for an image built
# FROM scratch: the binary's shared-library closure as ldd resolves it (libc, libstdc++,
# libcurl and what libcurl links), the dynamic loader, the CA certificates libcurl reads,
# /etc/passwd and /etc/group naming the service user (uid 10001), and a world-writable /tmp.
# Usage (in the Dockerfile's runtime-libs stage): make-runtime-root.sh ROOT
# with the binary already at ROOT/usr/local/bin/max-server.
set -eu
root="$1"
binary="$root/usr/local/bin/max-server"
[ -x "$binary" ] || { echo "make-runtime-root.sh: no executable $binary" >&2; exit 1; }

# "libx.so => /path (addr)" and the loader's own "/lib64/ld-linux-x86-64.so.2 (addr)".
libraries=$(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
if ldd "$binary" | grep -q "not found"; then
    echo "make-runtime-root.sh: unresolved libraries:" >&2
    ldd "$binary" | grep "not found" >&2
    exit 1
fi
for library in $libraries; do
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"
done

mkdir -p "$root/etc/ssl/certs"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nmax:x:10001:10001:max-swift:/app:/usr/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nmax:x:10001:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
mkdir -p "$root/tmp"
chmod 1777 "$root/tmp"

# The image must run what it was given: the binary starts with only these files (checked in
# the container by scripts/container-test.sh); here, list what was gathered.
echo "make-runtime-root.sh: $(echo "$libraries" | wc -l) libraries, $(du -sh "$root" | cut -f1) in $root"
