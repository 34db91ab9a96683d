"""Rounds: the jobs that arrive while one round runs are done together in the next.

A server process answers many requests at once on one event loop. When each of them needs the same
kind of round trip to the database (read the change feed, append to the audit log and commit), one
round trip can serve all that are waiting, and it is then paid once per round, not once per
request. Under light load a round holds one job and starts at once, so nothing waits for company;
under heavy load rounds grow by themselves (the group commit of database servers).

A job always waits for a round that STARTS after the job was submitted. That is what makes a shared
read of the change feed safe: it began after the request arrived, so it sees every change committed
before the request arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

RoundRunner = Callable[[Sequence[Job]], Awaitable[Sequence[Result]]]


class Rounds(Generic[Job, Result]):
    """Submit jobs; ``run_round`` gets every job waiting when a round starts and returns one result
    per job, in order. If it raises, every job of that round raises the same error."""

    def __init__(self, run_round: RoundRunner[Job, Result]) -> None:
        self._run_round = run_round
        self._waiting: list[tuple[Job, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.rounds = 0  # how many rounds ran, and how many jobs they held: for tests and tuning
        self.jobs = 0

    async def submit(self, job: Job) -> Result:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (a test client's): start afresh on it
            self._loop, self._waiting, self._runner = loop, [], None
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((job, future))
        if self._runner is None:
            self._runner = loop.create_task(self._run_rounds())
        return await future

    async def _run_rounds(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                self.rounds += 1
                self.jobs += len(batch)
                try:
                    results = await self._run_round([job for job, _ in batch])
                except asyncio.CancelledError:  # the process is stopping: nobody is left waiting
                    for _, future in batch + self._waiting:
                        future.cancel()
                    raise
                except Exception as exc:  # every job of the round learns why
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():  # a caller that went away (cancelled) is skipped
                        future.set_result(result)
        finally:
            self._runner = None
