#!/usr/bin/env bash
# Regenerate Django's DDL fixtures in this directory from the real Django:
#
#   internal/djangotest/testdata/ddl/generate.sh [sqlite|postgres|mysql]
#
# (all three without an argument). For each database it writes
# <db>/auth.sql (contenttypes and auth: auth_user and what it references) and
# <db>/token_blacklist.sql (Simple JWT's blacklist tables) as the test
# project's `manage.py jwtd_ddl` prints them on an empty database: each
# migration's SQL, in the order and state `manage.py migrate` runs it.
#
# It is TestDDLFixtures with -update: the test starts a throwaway
# PostgreSQL and MariaDB server (internal/pgtest, internal/mariadbtest) in a
# temporary directory, writes the files, and then checks, as it always does,
# that running them leaves the same schema as `manage.py migrate`.
#
# Needs Go and Debian's python3-django, python3-djangorestframework-simplejwt,
# python3-psycopg2, python3-mysqldb, postgresql and mariadb-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JWTD_REQUIRE_DJANGO=1 JWTD_REQUIRE_SQL=1
exec go test -count=1 -run "TestDDLFixtures/${1:-}" . -update
