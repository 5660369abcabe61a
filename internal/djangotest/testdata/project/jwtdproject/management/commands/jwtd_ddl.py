"""manage.py jwtd_ddl DIR: Django's own DDL for the tables jwtd shares with
a Django project, on the configured (empty) database, written to
DIR/auth.sql and DIR/token_blacklist.sql.

For every migration that leads to auth's and Simple JWT's token_blacklist
app's last migration, in the order `migrate` applies them, it collects the
migration's SQL as `sqlmigrate` does (a schema editor with collect_sql)
and then applies it as `migrate` does. Both use the state `migrate` runs
the migration in: the database as the earlier migrations left it (MySQL's
and PostgreSQL's ALTERs name the constraints they find) and migrate's
rendered model state, which on SQLite decides the column order of a table
that an ALTER rebuilds (plain `sqlmigrate` computes another state and
prints another column order than `migrate` creates). auth.sql holds contenttypes' and auth's migrations (auth_user
and what it references), token_blacklist.sql the blacklist app's.
There are no BEGIN/COMMIT lines, so each file is a plain sequence of
statements that a test runs on an empty database to get the tables exactly
as Django's `migrate` leaves them; `migrate --fake` then records the
migrations as applied.
"""
import io
import os

import django
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

FILES = {
    "contenttypes": "auth",
    "auth": "auth",
    "token_blacklist": "token_blacklist",
}


class Command(BaseCommand):
    help = "Write Django's DDL (migrate's, as sqlmigrate prints it) for auth_user and the token_blacklist tables to DIR."

    def add_arguments(self, parser):
        parser.add_argument("dir")

    def handle(self, dir, **options):
        executor = MigrationExecutor(connection)
        loader = executor.loader
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
                "-- Django's DDL for %s: each migration's SQL as migrate runs it, by manage.py jwtd_ddl\n"
                "-- Django %s, %s %s\n" % (name, django.get_version(), connection.vendor, _server_version()))
        # As MigrationExecutor.migrate does for a plan of forward steps.
        state = executor._create_project_state(with_applied_migrations=True)
        for app, name in plan:
            migration = loader.graph.nodes[app, name]
            if "apps" not in state.__dict__:
                state.apps  # migrate renders the models before each step
            with connection.schema_editor(collect_sql=True, atomic=False) as editor:
                migration.apply(state.clone(), editor, collect_sql=True)
            f = out[FILES[app]]
            f.write("\n-- migration %s.%s\n" % (app, name))
            for sql in editor.collected_sql:
                f.write(sql + "\n")
            state = executor.apply_migration(state, migration)
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
