"""`field__ilike`: substring search that PostgreSQL answers from a trigram (gin_trgm_ops) index.

Django's `icontains` compiles to UPPER(col) LIKE UPPER(...), which a plain trigram index on the
column cannot serve; ILIKE can.
"""

from django.db.models import CharField, Lookup, TextField


def contains_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ILike(Lookup):
    lookup_name = "ilike"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


CharField.register_lookup(ILike)
TextField.register_lookup(ILike)
