"""manage.py jwtd_ddl DIR: Django's own DDL for the tables jwtd shares with
a Django project, on the configured (empty) database, written to
DIR/auth.sql and DIR/token_blacklist.sql.

For every migration that leads to auth's and Simple JWT's token_blacklist
app's last migration, in the order `migrate` applies them, it prints
`sqlmigrate` of the migration and then applies it: sqlmigrate reads the
database's current constraints (MySQL, PostgreSQL) to name what an
ALTER drops, so each migration's SQL is taken in the state `migrate` would
run it in. auth.sql holds contenttypes' and auth's migrations (auth_user
and what it references), token_blacklist.sql the blacklist app's.
BEGIN/COMMIT lines are left out, so each file is a plain sequence of
statements that a test runs on an empty database to get the tables exactly
as Django's `migrate` leaves them; `migrate --fake` then records the
migrations as applied.
"""
import io
import os

import django
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.loader import MigrationLoader

FILES = {
    "contenttypes": "auth",
    "auth": "auth",
    "token_blacklist": "token_blacklist",
}


class Command(BaseCommand):
    help = "Write Django's DDL (sqlmigrate) for auth_user and the token_blacklist tables to DIR."

    def add_arguments(self, parser):
        parser.add_argument("dir")

    def handle(self, dir, **options):
        loader = MigrationLoader(connection)
        if loader.applied_migrations:
            raise SystemExit("jwtd_ddl needs an empty database")
        plan = []
        for app in ("auth", "token_blacklist"):
            for node in loader.graph.forwards_plan(loader.graph.leaf_nodes(app)[0]):
                if node not in plan:
                    plan.append(node)
        out = {}
        for name in set(FILES.values()):
            out[name] = io.StringIO()
            out[name].write(
                "-- Django's DDL for %s: sqlmigrate of each migration, by manage.py jwtd_ddl\n"
                "-- Django %s, %s %s\n" % (name, django.get_version(), connection.vendor, _server_version()))
        for app, name in plan:
            buf = io.StringIO()
            call_command("sqlmigrate", app, name, stdout=buf, stderr=io.StringIO(), no_color=True)
            f = out[FILES[app]]
            f.write("\n-- migration %s.%s\n" % (app, name))
            for line in buf.getvalue().splitlines():
                if line.strip() in ("BEGIN;", "COMMIT;"):
                    continue
                f.write(line + "\n")
            call_command("migrate", app, name, verbosity=0)
        for name, f in out.items():
            with open(os.path.join(dir, name + ".sql"), "w") as w:
                w.write(f.getvalue())


def _server_version():
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    with connection.cursor() as c:
        c.execute("SELECT version()")
        return c.fetchone()[0].split(" on ")[0].split(",")[0]
