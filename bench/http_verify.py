#!/usr/bin/env python3
"""Durability check for one run of bench/http_transfers.sh.

    http_verify.py (--sqlite FILE | --pg URL) [--kind transfers|orders] --prefix P --ids FILE
                   --ok N --sent N

Every 200 answer of the run (its id, from the wrk script) must be committed in the store:
transfers, a transfer row with its journal entry, by clientTranId; orders, a row of `orders`, by
newClientOrderId. No id twice, and the store holds nothing of the run that was never sent. The
store may hold a few more than the 200s: requests in flight when wrk stopped reading (at most one
per connection) are committed but their answers never counted. Prints one line "durable: ..." and
exits 1 on any failure.
"""

import argparse
import sqlite3
import subprocess
import sys


def rows_sqlite(path, sql):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def rows_pg(url, sql):
    out = subprocess.run(["psql", url, "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


# kind: (what is counted, what a 200 must be, the ids stored for a run: {like} is its pattern)
KINDS = {
    "transfers": ("transfers", "committed with their journal entry",
                  "SELECT t.client_tran_id FROM transfers t JOIN journal_entries e ON e.id = t.tran_id "
                  "WHERE e.kind = 'transfer' AND t.client_tran_id LIKE {like}"),
    "orders": ("orders", "committed rows of `orders`",
               "SELECT client_order_id FROM orders WHERE client_order_id LIKE {like}"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite")
    ap.add_argument("--pg")
    ap.add_argument("--kind", choices=sorted(KINDS), default="transfers")
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--ok", type=int, required=True)
    ap.add_argument("--sent", type=int, required=True)
    a = ap.parse_args()

    def q(sql):
        return rows_sqlite(a.sqlite, sql) if a.sqlite else rows_pg(a.pg, sql)

    # The prefix is ours ([a-z0-9]), safe to put in the SQL text.
    noun, what, sql = KINDS[a.kind]
    stored = [r[0] for r in q(sql.format(like=f"'{a.prefix}-%'"))]
    stored_set = set(stored)
    with open(a.ids) as f:
        acked = [line.strip() for line in f if line.strip()]
    acked_set = set(acked)

    problems = []
    if len(acked) != a.ok:
        problems.append(f"the wrk script counted {a.ok} 200s but wrote {len(acked)} ids")
    if len(acked_set) != len(acked):
        problems.append(f"{len(acked) - len(acked_set)} ids answered 200 twice")
    if len(stored_set) != len(stored):
        problems.append(f"{len(stored) - len(stored_set)} ids stored twice")
    missing = acked_set - stored_set
    if missing:
        problems.append(f"{len(missing)} {noun} answered 200 are not in the store, e.g. {sorted(missing)[:3]}")
    if len(stored) > a.sent:
        problems.append(f"the store holds {len(stored)} {noun} of this run but only {a.sent} were sent")

    unanswered = len(stored_set - acked_set)
    if problems:
        print("durable: FAILED: " + "; ".join(problems))
        sys.exit(1)
    print(f"durable: ok, all {len(acked)} {noun} answered 200 are {what}; "
          f"{len(stored)} stored for the run ({unanswered} committed while wrk stopped reading, "
          f"{a.sent - len(stored)} sent but not committed)")


if __name__ == "__main__":
    main()
