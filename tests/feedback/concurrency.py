"""Run the same work on real threads that start together (a barrier), each on its own database
connection, for the PostgreSQL concurrency tests."""

import threading

from django.db import connection


def race(work, count: int) -> list:
    """`work(index)` on `count` threads at once; the results in thread order, where an exception
    raised is the thread's result (a refusal is something to assert on)."""
    barrier = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - a refusal or failure is a result to assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results
