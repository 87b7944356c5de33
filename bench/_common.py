"""What the benchmark scripts share: the PostgreSQL admin connection, the load average they
print next to every figure, and the 95th percentile."""

import os
import statistics


def pg_admin(url: str, sql: str) -> None:
    """Run ``sql`` on the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[94]
