"""Querysets compiled to SQL once, then run again with other values in the same places.

Django compiles a queryset's SQL anew on every run, and for the few small reads that every API
request makes (its token, the caller's memberships, the resident, the open meeting, the lock)
that compiling costs more than the database does: about a third of a move's CPU
(docs/performance.md). A `Prepared` builds its queryset once per database with a marker for
each value, remembers where each marker landed among the SQL's parameters, and from then on
only puts the real values in those places. The ORM still writes the SQL, from the same
models, so nothing is written twice by hand; `sql_for` lets a test check the result against a
fresh compile with real values.

Only for querysets whose SQL does not change with the values (no None, no lists for `__in`)
and whose values are compared for equality: a value is a parameter of the SQL, never part of
its text. Anything else in the queryset is fixed at the first compile (never today's date).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.transaction import TransactionManagementError

_markers = itertools.count(1)
_lock = threading.Lock()
_INT64 = (-(2**63), 2**63 - 1)


def marker_for(example: Any) -> Any:
    """A value of `example`'s type that no real query uses: where it lands in the compiled
    parameters is where the real value goes."""
    n = next(_markers)
    if isinstance(example, bool):
        raise TypeError("a boolean cannot be told apart from others: make it part of the query")
    if isinstance(example, int):  # (within every integer column's range: the ORM checks)
        return 2**31 - 1 - n
    if isinstance(example, str):
        return f"\x1fprepared-{n}\x1f"
    raise TypeError(f"no marker for {type(example).__name__} (ids and keys only, so far)")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # the compiled parameters: constants, and markers where values go
    slots: tuple[tuple[int, str], ...]  # (position in params, name of the value)
    compiler: Any  # the first compile's: what each column is (runs use the caller's connection)
    converters: dict
    models: bool  # rows become model instances (else tuples, as values_list gives)
    locks: bool  # SELECT … FOR UPDATE: only inside a transaction


class Prepared:
    """`build(**values)` returns the queryset; `**examples` name the values with an example
    of each (its type picks the marker). `rows(**values)` / `objects(**values)` run it."""

    def __init__(self, build: Callable[..., QuerySet], **examples: Any) -> None:
        self.build = build
        self.examples = examples
        self._compiled: dict[str, _Compiled] = {}

    def objects(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[Model]:
        compiled = self._compile(using)
        if not compiled.models:
            raise TypeError("objects() is for querysets of model instances; use rows()")
        rows = self._run(compiled, using, values)
        return list(_instances(compiled, using, rows))

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple]:
        compiled = self._compile(using)
        if compiled.models:
            raise TypeError("rows() is for values_list() querysets; use objects()")
        return [tuple(row) for row in self._run(compiled, using, values)]

    def sql_for(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> tuple[str, tuple]:
        """The SQL and parameters this would run for `values`."""
        compiled = self._compile(using)
        return compiled.sql, self._params(compiled, values)

    # --- inside ------------------------------------------------------------------------------

    def _compile(self, using: str) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is not None:
            return compiled
        with _lock:
            markers = {name: marker_for(example) for name, example in self.examples.items()}
            queryset = self.build(**markers)
            if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
                raise TypeError("only model instances or values_list() tuples (not flat, named)")
            if queryset._known_related_objects:
                raise TypeError("build from the model's manager, not a related manager")
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            slots = []
            for position, param in enumerate(params):
                for name, marker in markers.items():
                    if type(param) is type(marker) and param == marker:
                        slots.append((position, name))
            missing = set(markers) - {name for _, name in slots}
            if missing:
                raise ValueError(f"{sorted(missing)} did not become parameters of the SQL")
            fields = [s[0] for s in compiler.select[: compiler.col_count]]
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                slots=tuple(slots),
                compiler=compiler,
                converters=compiler.get_converters(fields),
                models=queryset._iterable_class is ModelIterable,
                locks=bool(queryset.query.select_for_update),
            )
            self._compiled[using] = compiled
            return compiled

    def _params(self, compiled: _Compiled, values: dict[str, Any]) -> tuple:
        if set(values) != set(self.examples):
            raise TypeError(f"values for {sorted(self.examples)}, got {sorted(values)}")
        params = list(compiled.params)
        for position, name in compiled.slots:
            value = values[name]
            if type(value) is not type(self.examples[name]):
                raise TypeError(f"{name} must be {type(self.examples[name]).__name__}: {value!r}")
            params[position] = value
        return tuple(params)

    def _run(self, compiled: _Compiled, using: str, values: dict[str, Any]) -> list:
        connection = connections[using]
        params = self._params(compiled, values)
        if any(isinstance(v, int) and not _INT64[0] <= v <= _INT64[1] for v in values.values()):
            return []  # equal to no row's integer (the ORM says so too, without asking)
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        width = compiled.compiler.col_count
        if rows and len(rows[0]) > width:  # (columns only for ordering: as Django drops them)
            rows = [row[:width] for row in rows]
        if compiled.converters:
            rows = _converted(rows, compiled.converters, connection)
        return rows


def _converted(rows, converters: dict, connection) -> list[list]:
    converted = []
    for row in map(list, rows):
        for position, (functions, expression) in converters.items():
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        converted.append(row)
    return converted


def _instances(compiled: _Compiled, using: str, rows):
    """Model instances with their select_related() objects, as Django's ModelIterable makes
    them."""
    compiler = compiled.compiler
    select, klass_info = compiler.select, compiler.klass_info
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    names = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)
    for row in rows:
        instance = model.from_db(using, names, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        if compiler.annotation_col_map:
            for name, position in compiler.annotation_col_map.items():
                setattr(instance, name, row[position])
        yield instance


_updates: dict[tuple, str] = {}


def update_row(*, model: type[Model], using: str, values, where: dict[str, Any]) -> int:
    """`UPDATE … SET <values> WHERE <where>` for one model's own columns, as Django's save()
    sends it, with the statement made once per set of columns. `values` is what Model.save
    hands `_do_update`: (field, model, value) triples; `where` maps attnames to plain values
    (compared for equality). Returns the number of rows changed."""
    connection = connections[using]
    opts = model._meta
    columns = tuple(field.column for field, _, _ in values)
    key = (opts.label, using, columns, tuple(where))
    sql = _updates.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
        conditions = " AND ".join(f"{quote(opts.get_field(name).column)} = %s" for name in where)
        sql = _updates[key] = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {conditions}"
    params = [field.get_db_prep_save(value, connection=connection) for field, _, value in values]
    params += [opts.get_field(name).get_db_prep_value(v, connection) for name, v in where.items()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
