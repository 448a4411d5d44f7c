"""Querysets compiled to SQL once per process, run again with new values.

Django compiles a queryset to SQL each time it runs it. For the few queries every full
render of an article page runs (its story, its related cards, the section menu, the
breaking news banner) compiling cost about as much as the rest of their work, and their
shape never changes: only their values do (a slug, the time now, a list of ids).

`CompiledQuery(build)` declares such a query: `build(*values)` returns the queryset
for `values`. The first run for a database and a shape of values (the length of each
list) compiles it twice, with the values given and with different ones of the same
types, and reads from the two the SQL (which must be the same) and where each value
lands among its parameters; every other parameter must be the same in both (a
constant of the query). A query that does not fit (its SQL changes with the values) is
never kept: it runs through the ORM every time, as before. Later runs send the kept SQL
with the new values, adapted as the ORM adapts them (`connection.ops`).

Results: `objects(*values)` gives model instances as the queryset would (its fields,
the others deferred, each converted from the database; a query that joins or annotates
runs through the ORM); `rows(*values)` gives tuples, converted as the queryset's
`values_list()` would.
"""

import datetime
import threading

from django.core.exceptions import EmptyResultSet
from django.db import connections, router

_MISSING = object()


def _probe(value):
    """A value of the same type and shape as `value`, but different."""
    if isinstance(value, (list, tuple)):
        return type(value)(_probe(item) for item in value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 7919
    if isinstance(value, str):
        return value + "\u00b7probe"
    if isinstance(value, datetime.datetime):
        return value + datetime.timedelta(days=1, microseconds=1)
    raise TypeError(f"no probe for {type(value).__name__}")


def _flat(values):
    for value in values:
        if isinstance(value, (list, tuple)):
            yield from value
        else:
            yield value


def _shape(values):
    return tuple(len(value) if isinstance(value, (list, tuple)) else None for value in values)


class _Plan:
    """The kept SQL of one shape, where each value goes among its parameters, how each
    column is converted and, for a query of model instances, the fields the columns fill."""

    def __init__(self, sql, params, slots, converters, fields):
        self.sql = sql
        self.params = params
        self.slots = slots  # parameter position -> index of the flat value
        self.converters = converters
        self.fields = fields

    def bind(self, values, adapt):
        params = list(self.params)
        flat = [adapt(value) for value in _flat(values)]
        for position, index in self.slots.items():
            params[position] = flat[index]
        return params


class CompiledQuery:
    """A queryset `build(*values)` compiled once per database and shape of values. The
    queryset is read from the database the router gives for reading its model."""

    def __init__(self, build):
        self.build = build
        self._model = None
        self._plans = {}
        self._lock = threading.Lock()

    def _plan(self, values):
        if self._model is None:
            self._model = self.build(*values).model
        alias = router.db_for_read(self._model)
        key = (alias, _shape(values))
        plan = self._plans.get(key, _MISSING)
        if plan is _MISSING:
            plan = self._make_plan(alias, values)
            with self._lock:
                self._plans[key] = plan
        return alias, plan

    def _make_plan(self, alias, values):
        connection = connections[alias]
        adapt = _adapter(connection)
        try:
            probes = [_probe(value) for value in values]
        except TypeError:
            return None
        compiled = []
        for sample in (values, probes):
            compiler = self.build(*sample).query.get_compiler(using=alias)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:  # e.g. `pk__in=[]`: the ORM runs no query for it
                return None
            flat = [adapt(value) for value in _flat(sample)]
            compiled.append((compiler, sql, list(params), flat))
        (compiler, sql, params, flat), (_, probe_sql, probe_params, probe_flat) = compiled
        if sql != probe_sql or len(params) != len(probe_params):
            return None
        slots = {}
        for position, (param, probe_param) in enumerate(zip(params, probe_params, strict=True)):
            if param == probe_param:
                continue  # a constant of the query
            found = [
                index
                for index, (value, probe) in enumerate(zip(flat, probe_flat, strict=True))
                if value == param and probe == probe_param
            ]
            if len(found) != 1:
                return None
            slots[position] = found[0]
        converters = compiler.get_converters([column[0] for column in compiler.select])
        fields = None
        info = compiler.klass_info
        if info and not info.get("related_klass_infos") and not compiler.annotation_col_map:
            # One model's columns and nothing else: what Model.from_db() takes.
            fields = [column[0].target.attname for column in compiler.select]
        return _Plan(sql, params, slots, converters, fields)

    def _fetch(self, alias, plan, values):
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, plan.bind(values, _adapter(connection)))
            rows = cursor.fetchall()
        if not plan.converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in plan.converters.items():
                for function in functions:
                    row[position] = function(row[position], expression, connection)
            converted.append(row)
        return converted

    def objects(self, *values):
        """The model instances the queryset `build(*values)` would give."""
        alias, plan = self._plan(values)
        if plan is None or plan.fields is None:
            return list(self.build(*values))
        model = self._model
        return [model.from_db(alias, plan.fields, row) for row in self._fetch(alias, plan, values)]

    def rows(self, *values):
        """The rows (tuples) the queryset `build(*values)`, a `values_list()`, would give."""
        alias, plan = self._plan(values)
        if plan is None:
            return list(self.build(*values))
        return [tuple(row) for row in self._fetch(alias, plan, values)]


def _adapter(connection):
    ops = connection.ops

    def adapt(value):
        if isinstance(value, datetime.datetime):
            return ops.adapt_datetimefield_value(value)
        return value

    return adapt
