"""Rounds: jobs that arrive while a round runs share the next one, and never join a round that
started before them (what makes one change-feed read safe to share)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from meterguard.services.batching import Rounds


class Recorder:
    """A round runner that remembers each round's jobs and can be held open."""

    def __init__(self) -> None:
        self.rounds: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_on: str | None = None

    async def run(self, jobs: Sequence[str]) -> list[str]:
        self.rounds.append(list(jobs))
        await self.gate.wait()
        if self.fail_on in jobs:
            raise RuntimeError(f"round with {self.fail_on} failed")
        return [job.upper() for job in jobs]


def test_a_job_alone_runs_at_once_and_gets_its_own_result() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        rounds = Rounds(recorder.run)
        assert await rounds.submit("a") == "A"
        assert recorder.rounds == [["a"]]

    asyncio.run(scenario())


def test_jobs_arriving_during_a_round_share_the_next_round_not_the_running_one() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        recorder.gate.clear()
        rounds = Rounds(recorder.run)
        first = asyncio.create_task(rounds.submit("a"))
        await asyncio.sleep(0)  # the round with "a" has started and is held open
        await asyncio.sleep(0)
        assert recorder.rounds == [["a"]]
        later = [asyncio.create_task(rounds.submit(job)) for job in ("b", "c", "d")]
        await asyncio.sleep(0)
        assert recorder.rounds == [["a"]]  # b, c, d did not join the round already running
        recorder.gate.set()
        assert await first == "A"
        assert [await task for task in later] == ["B", "C", "D"]
        assert recorder.rounds == [["a"], ["b", "c", "d"]]
        assert (rounds.rounds, rounds.jobs) == (2, 4)

    asyncio.run(scenario())


def test_a_failed_round_fails_each_of_its_jobs_and_the_next_round_still_runs() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        recorder.gate.clear()
        recorder.fail_on = "b"
        rounds = Rounds(recorder.run)
        first = asyncio.create_task(rounds.submit("a"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        doomed = [asyncio.create_task(rounds.submit(job)) for job in ("b", "c")]
        await asyncio.sleep(0)
        recorder.gate.set()
        assert await first == "A"
        for task in doomed:
            with pytest.raises(RuntimeError, match="round with b failed"):
                await task
        assert await rounds.submit("e") == "E"

    asyncio.run(scenario())


def test_a_caller_that_goes_away_does_not_disturb_the_others() -> None:
    async def scenario() -> None:
        recorder = Recorder()
        recorder.gate.clear()
        rounds = Rounds(recorder.run)
        first = asyncio.create_task(rounds.submit("a"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        leaving, staying = (asyncio.create_task(rounds.submit(job)) for job in ("b", "c"))
        await asyncio.sleep(0)
        leaving.cancel()
        recorder.gate.set()
        assert await first == "A" and await staying == "C"
        assert leaving.cancelled()

    asyncio.run(scenario())


def test_each_event_loop_starts_afresh() -> None:
    recorder = Recorder()
    rounds = Rounds(recorder.run)
    assert asyncio.run(rounds.submit("a")) == "A"
    assert asyncio.run(rounds.submit("b")) == "B"  # a second loop, as a second test client runs
    assert recorder.rounds == [["a"], ["b"]]
