#!/usr/bin/env bash
# Regenerate Django's DDL fixtures in this directory from the real Django:
#
#   internal/djangotest/testdata/ddl/generate.sh [sqlite] [postgres] [mysql]
#
# (all three without arguments). For each database it writes
# <db>/auth.sql (contenttypes and auth: auth_user and what it references) and
# <db>/token_blacklist.sql (Simple JWT's blacklist tables), as
# `manage.py jwtd_ddl` of the test project (testdata/project) prints them:
# `sqlmigrate` of every migration in `migrate`'s order. sqlmigrate needs a
# connection for PostgreSQL and MySQL, so the script starts a throwaway
# server of each in a temporary directory (Unix socket only, no TCP port)
# and stops it again.
#
# Needs Debian's python3-django, python3-djangorestframework-simplejwt,
# python3-psycopg2, python3-mysqldb, postgresql and mariadb-server. The
# fixtures are checked against Django by internal/djangotest's
# TestDDLFixtures, which says to run this script when they differ.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
project="$here/../project"
python=/usr/bin/python3
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"

dbs=("$@")
[ ${#dbs[@]} -eq 0 ] && dbs=(sqlite postgres mysql)

tmp="$(mktemp -d)"
chmod 0755 "$tmp"
pids=()
cleanup() {
	if [ -n "${pgdata:-}" ]; then
		run_as_pg "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
	fi
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: as root, run it as the postgres user.
run_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# ddl DB CONFIG_JSON: write DB/auth.sql and DB/token_blacklist.sql, from
# an empty database that jwtd_ddl migrates as it goes.
ddl() {
	local db=$1 cfg="$tmp/$1.json"
	printf '%s\n' "$2" >"$cfg"
	mkdir -p "$tmp/out-$db" "$here/$db"
	(cd "$project" && env -i PATH=/usr/bin:/bin PYTHONDONTWRITEBYTECODE=1 \
		JWTD_DJANGO_CONFIG="$cfg" "$python" manage.py jwtd_ddl "$tmp/out-$db")
	mv "$tmp/out-$db/auth.sql" "$tmp/out-$db/token_blacklist.sql" "$here/$db/"
	echo "wrote $db/auth.sql $db/token_blacklist.sql"
}

for db in "${dbs[@]}"; do
	case "$db" in
	sqlite)
		ddl sqlite '{"database": {"ENGINE": "django.db.backends.sqlite3", "NAME": "'"$tmp/sqlite.db"'"}}'
		;;
	postgres)
		pgdata="$tmp/pg"
		mkdir "$pgdata" && [ "$(id -u)" -eq 0 ] && chown postgres "$pgdata"
		run_as_pg "$pgbin/initdb" -D "$pgdata" -U postgres -A trust >/dev/null
		run_as_pg "$pgbin/pg_ctl" -D "$pgdata" -w -l "$pgdata/log" \
			-o "-c listen_addresses='' -c unix_socket_directories='$pgdata' -c fsync=off" start >/dev/null
		ddl postgres '{"database": {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres", "USER": "postgres", "HOST": "'"$pgdata"'"}}'
		;;
	mysql)
		my="$tmp/my"
		mkdir -p "$my/data"
		mariadb-install-db --no-defaults --datadir="$my/data" --user="$(id -un)" \
			--auth-root-authentication-method=normal --skip-test-db >/dev/null
		mariadbd --no-defaults --datadir="$my/data" --user="$(id -un)" --skip-networking \
			--socket="$my/sock" --pid-file="$my/pid" --log-error="$my/log" &
		pids+=($!)
		for _ in $(seq 100); do [ -S "$my/sock" ] && break; sleep 0.1; done
		mariadb --no-defaults --socket="$my/sock" -uroot -e 'CREATE DATABASE django CHARACTER SET utf8mb4'
		ddl mysql '{"database": {"ENGINE": "django.db.backends.mysql", "NAME": "django", "USER": "root", "HOST": "'"$my/sock"'"}}'
		;;
	*)
		echo "unknown database $db (sqlite, postgres, mysql)" >&2
		exit 2
		;;
	esac
done
