"""The on-disk queue: events and calls in a SQLite file, in order, until the server took them."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("vaimanasoft_sdk")

BATCH_PATH = "/events/batch"


@dataclass(frozen=True)
class Pending:
    """The next request to send: its queue rows, path and body (events: without sent_at)."""

    seqs: tuple[int, ...]
    path: str
    body: dict[str, Any]


class DiskQueue:
    """Items (an event, or one call such as /sdk/revenue) kept in SQLite, oldest first.

    A write is committed before `put` returns (WAL, synchronous=NORMAL: it survives the process
    being killed; only an OS crash can lose the last commits). `path=None` keeps the queue in memory.
    One process per file: two processes on one file could both send the same rows (events would
    still be stored once, calls twice)."""

    def __init__(self, path: str | os.PathLike[str] | None, max_items: int = 100_000) -> None:
        self.max_items = max_items
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            ":memory:" if path is None else os.fspath(path), isolation_level=None, check_same_thread=False
        )
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS items (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "path TEXT NOT NULL, body TEXT NOT NULL, size INTEGER NOT NULL)"
        )
        self._count = self._db.execute("SELECT count(*) FROM items").fetchone()[0]

    def __len__(self) -> int:
        return self._count

    def put(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """Append (path, body) items in one transaction; beyond max_items the oldest are dropped."""
        rows = []
        for path, body in items:
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            rows.append((path, text, len(text.encode())))
        with self._lock:
            if len(rows) == 1 and self._count < self.max_items:  # one item: one implicit transaction
                self._db.execute("INSERT INTO items (path, body, size) VALUES (?, ?, ?)", rows[0])
                self._count += 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT INTO items (path, body, size) VALUES (?, ?, ?)", rows)
                self._count += len(rows)
                if self._count > self.max_items:
                    drop = self._count - self.max_items
                    self._db.execute(
                        "DELETE FROM items WHERE seq IN (SELECT seq FROM items ORDER BY seq LIMIT ?)", (drop,)
                    )
                    self._count -= drop
                    log.warning("more than %d items queued: dropped the %d oldest", self.max_items, drop)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._count = self._db.execute("SELECT count(*) FROM items").fetchone()[0]
                raise

    def next(self, max_events: int, max_bytes: int) -> Pending | None:
        """The first item if it is a call, else the leading events: at most max_events and max_bytes."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, path, body, size FROM items ORDER BY seq LIMIT ?", (max_events,)
            ).fetchall()
        if not rows:
            return None
        seq, path, body, _ = rows[0]
        if path != BATCH_PATH:
            return Pending((seq,), path, json.loads(body))
        seqs, events, total = [], [], 0
        for seq, path, body, size in rows:
            if path != BATCH_PATH or (events and total + size > max_bytes):
                break
            seqs.append(seq)
            events.append(json.loads(body))
            total += size
        return Pending(tuple(seqs), BATCH_PATH, {"events": events})

    def remove(self, seqs: tuple[int, ...]) -> None:
        with self._lock:
            removed = self._db.execute(
                f"DELETE FROM items WHERE seq IN ({','.join('?' * len(seqs))})", seqs
            ).rowcount
            self._count -= removed

    def close(self) -> None:
        with self._lock:
            self._db.close()
