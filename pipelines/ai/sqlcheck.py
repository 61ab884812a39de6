"""The first check of model-written SQL: sqlglot parses it (PostgreSQL dialect) and only one plain SELECT
over the documented views passes, with its LIMIT forced to at most MAX_ROWS.

This is a filter with clear error messages, not the boundary: the statement then runs as a role that can
read nothing but those views of one app, read-only, under a timeout (pipelines.ai.reader), which holds
even if this check is switched off (NLQ_SQL_CHECK, for the test that proves it).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from core.errors import BadRequest
from pipelines.ai.views import SCHEMA, VIEWS

MAX_ROWS = 1000
MAX_SQL_CHARS = 20_000

# Statements and clauses that change something, or reach past one read: anywhere in the tree.
FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Copy,
    exp.Set,
    exp.Command,  # what sqlglot cannot parse: SET ROLE, RESET, DO, VACUUM, ...
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Grant,
    exp.Revoke,
    exp.Into,  # SELECT ... INTO creates a table
    exp.Lock,  # FOR UPDATE / FOR SHARE
    exp.Placeholder,
    exp.Parameter,
    exp.Use,
    exp.Describe,
    exp.Show,
    exp.Analyze,
    exp.Execute,
    exp.Declare,
)

# Functions never allowed (PostgreSQL names, lower-case), and name prefixes: sleeping, files, large
# objects, other databases, settings, transaction ids and advisory locks, signalling backends, XML dumps.
DENIED_FUNCTIONS = frozenset(
    {
        "set_config",
        "current_setting",
        "loread",
        "lowrite",
        "nextval",
        "setval",
        "currval",
        "lastval",
        "query_to_xml",
        "query_to_xml_and_xmlschema",
        "inet_server_addr",
        "inet_server_port",
        "inet_client_addr",
        "inet_client_port",
        "version",
    }
)
DENIED_PREFIXES = (
    "pg_",  # pg_sleep*, pg_read_*, pg_ls_*, pg_stat_file, pg_advisory*, pg_try_advisory*, pg_terminate_*, ...
    "lo_",
    "dblink",
    "txid_",
    "table_to_xml",
    "cursor_to_xml",
    "schema_to_xml",
    "database_to_xml",
)


def _function_names(node: exp.Func) -> set[str]:
    if isinstance(node, exp.Anonymous):
        return {node.name.lower()}
    return {node.sql_name().lower(), node.key.lower()}


def _denied(name: str) -> bool:
    return name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES)


def _forced_limit(tree: exp.Expression, max_rows: int) -> exp.Expression:
    """The query with LIMIT min(its own literal LIMIT, max_rows)."""
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Fetch):
        raise BadRequest("Rejected SQL: use LIMIT instead of FETCH")
    count = limit.expression if isinstance(limit, exp.Limit) else None
    if isinstance(count, exp.Literal) and count.is_int and int(count.this) <= max_rows:
        return tree
    assert isinstance(tree, exp.Query)
    return tree.limit(max_rows, copy=False)


def check(sql: str, max_rows: int = MAX_ROWS) -> str:
    """The SQL to run (LIMIT forced), or BadRequest saying why it is refused."""
    if len(sql) > MAX_SQL_CHARS:
        raise BadRequest(f"Rejected SQL: longer than {MAX_SQL_CHARS} characters")
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except (ParseError, TokenError) as exc:
        raise BadRequest(f"Rejected SQL: it does not parse ({str(exc).splitlines()[0][:200]})") from None
    if len(statements) != 1:
        raise BadRequest(f"Rejected SQL: exactly one statement is allowed, got {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise BadRequest(f"Rejected SQL: only a SELECT is allowed, got {tree.key.upper()}")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise BadRequest(f"Rejected SQL: {node.key.upper()} is not allowed")
        if isinstance(node, exp.Func):
            names = _function_names(node)
            denied = sorted(n for n in names if _denied(n))
            if denied:
                raise BadRequest(f"Rejected SQL: function {denied[0]}() is not allowed")
        if isinstance(node, exp.Table) and not isinstance(node.this, exp.Func):
            name, schema = node.name.lower(), node.db.lower()
            if node.catalog or schema not in ("", SCHEMA) or (name not in VIEWS and name not in ctes):
                shown = ".".join(p for p in (node.catalog, node.db, node.name) if p)
                raise BadRequest(
                    f"Rejected SQL: {shown} is not one of the views it may read ({', '.join(VIEWS)})"
                )
            if name in ctes and schema:
                raise BadRequest(f"Rejected SQL: {schema}.{name} is not one of the views it may read")
    return _forced_limit(tree, max_rows).sql(dialect="postgres")
