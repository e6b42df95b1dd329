"""`make bench`: the accuracy benchmark on every dev-set clip, then the throughput benchmark on
10 minutes of call audio. Exits 1 when either misses its goal, after running both."""
from __future__ import annotations

from bench import accuracy, throughput


def main() -> None:
    accurate = accuracy.run("all")
    print()
    fast = throughput.run(minutes=10)
    raise SystemExit(0 if accurate and fast else 1)


if __name__ == "__main__":
    main()
