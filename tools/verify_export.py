"""Verify an NDJSON export of the Duangta audit log offline (Python 3, standard library only).

Usage: python3 verify_export.py audit-log-1042.ndjson

Also verifies the copy an AUDIT_SINK file receives: delivery there is at least once, so
entries sent again after a crash (the same seq with the same hash) are counted as
replays, not as a break.
"""

import hashlib
import json
import sys

FIELDS = ("seq", "occurred_at", "actor_id", "actor_role", "action", "entity_type",
          "entity_id", "province_code", "request_id", "details", "prev_hash")  # fmt: skip
GENESIS = "0" * 64


def verify(path: str) -> int:
    previous: dict[str, object] | None = None
    count = gaps = replays = 0
    recent: dict[int, str] = {}  # seq -> hash of the last entries, to recognise replays
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            seq = entry["seq"]
            canonical = json.dumps(
                {name: entry[name] for name in FIELDS},
                sort_keys=True, separators=(",", ":"), ensure_ascii=False,
            )  # fmt: skip
            if hashlib.sha256(canonical.encode("utf-8")).hexdigest() != entry["hash"]:
                print(f"BROKEN at seq {seq}: the entry does not match its hash")
                return 1
            if seq == 1 and entry["prev_hash"] != GENESIS:
                print("BROKEN at seq 1: it does not start from the genesis hash")
                return 1
            if previous is not None:
                last = previous["seq"]
                assert isinstance(last, int)
                if seq <= last and recent.get(seq) == entry["hash"]:
                    replays += 1
                    continue
                if seq <= last:
                    print(f"BROKEN at seq {seq}: entries out of order")
                    return 1
                if seq == last + 1 and entry["prev_hash"] != previous["hash"]:
                    print(f"BROKEN at seq {seq}: it does not link to entry {last}")
                    return 1
                gaps += seq != last + 1
            previous, count = entry, count + 1
            recent[seq] = entry["hash"]
            if len(recent) > 20000:
                for old in sorted(recent)[:10000]:
                    del recent[old]
    if previous is None:
        print("The export is empty.")
        return 1
    print(f"OK: {count} entries up to seq {previous['seq']}, last hash {previous['hash']}, "
          f"{gaps} gaps (a filtered export has gaps; a full one has none)"
          + (f", {replays} replayed entries skipped" if replays else ""))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(verify(sys.argv[1]))
