#!/usr/bin/env bash
# The nightly backup (docs/deploy.md "Backup and restore"):
#
#     DATABASE_URL=postgres://… deploy/backup.sh /backup
#
# writes /backup/onewindow-<UTC stamp>.dump (pg_dump -Fc of DATABASE_URL, a consistent snapshot
# while the site runs) and /backup/onewindow-media-<stamp>.tar.gz (MEDIA_ROOT and
# PRIVATE_MEDIA_ROOT, as `media/` and `private/`), both readable by the owner only.
#
# No key ever goes into either: keys live in the environment (SECRET_KEY, FIELD_ENCRYPTION_KEYS,
# PII_HMAC_KEY) and in KEYS_DIR, outside the media, and are backed up separately. Key files an
# older install left inside the media (private/signing/, *.pem, *.key …) are left out, and the
# archive is listed afterwards: one key file in it and the archive is deleted, the script fails.
set -euo pipefail
dest=${1:?usage: DATABASE_URL=postgres://… deploy/backup.sh DEST_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
: "${DATABASE_URL:?set DATABASE_URL to the database to dump (postgres://user@host:5432/name)}"
media=${MEDIA_ROOT:-$root/media}
private=${PRIVATE_MEDIA_ROOT:-$root/private}
stamp=${BACKUP_STAMP:-$(date -u +%Y%m%dT%H%MZ)}
dump="$dest/onewindow-$stamp.dump"
archive="$dest/onewindow-media-$stamp.tar.gz"
# What a key looks like, for tar's --exclude (shell patterns) and for the check after it.
key_patterns=('*.pem' '*.key' '*.p12' '*.pfx' '*.jks' '.env*' 'signing' 'keys')
key_regex='(\.(pem|key|p12|pfx|jks)$|(^|/)\.env|(^|/)(signing|keys)(/|$))'

umask 077
mkdir -p "$dest"
pg_dump -Fc --no-owner -f "$dump" "$DATABASE_URL"

excludes=()
for pattern in "${key_patterns[@]}"; do excludes+=("--exclude=$pattern"); done
members=()
for dir in "$media" "$private"; do
	if [ -d "$dir" ]; then members+=(-C "$(dirname "$dir")" "$(basename "$dir")"); fi
done
if [ ${#members[@]} -eq 0 ]; then
	echo "[backup] neither $media nor $private exists: no media archive" >&2
else
	tar -czf "$archive" "${excludes[@]}" "${members[@]}"
	if tar -tzf "$archive" | grep -Eq "$key_regex"; then
		rm -f "$archive"
		echo "[backup] a key file got into the media archive: deleted it; see docs/deploy.md" >&2
		exit 1
	fi
fi
echo "[backup] $dump"
[ ${#members[@]} -eq 0 ] || echo "[backup] $archive"
