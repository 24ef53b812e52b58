"""`python -m bench.reference --port N`: serve the reference with uvicorn, as the API is
served (one process, uvicorn's defaults: uvloop and httptools, no access log). It reads the
API's environment: DATABASE_URL, JWT_SECRET, DATA_KEYS, DATA_KEY_ID, DATA_HASH_KEY, ..."""

from __future__ import annotations

import argparse

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reference")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(
        "bench.reference.app:app",
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
