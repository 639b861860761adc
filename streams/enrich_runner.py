"""Where a worker's enrichment runs: in a process of its own (the default) or on a thread of the worker.

Why a process: spaCy and the stance model are CPU-bound Python. On a thread of the worker they share
the GIL with the event loop, whose own Python (Faust and aiokafka sending every output message, story
assignment, alert routing and matching, table changelogs) holds it for ~17 ms per article: the
enrichment waited for it, and the one-worker pipeline ran at 83–92 % of the analyze path alone
(docs/performance.md). In a child process the two run side by side on two cores, and a crash in native
code or an out-of-memory kill takes down the child, not the worker.

The child cannot read the worker's Faust tables, so the dedup marks of a batch's article ids are looked
up here first (``article_id_of``) and handed over with the batch; the batch is then processed by the
same pure ``BatchProcessor.process`` as on a thread.

When the child dies under a batch (``BrokenProcessPool``), a fresh child is started and the batch is
processed again one message at a time; a message under which the child dies again, alone, is
dead-lettered (``enrichment_failed``, with the exit code). Nothing is lost and the worker goes on.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from streams.ingest import InvalidArticle
from streams.ingest.raw import article_id_of
from streams.processing import BatchProcessor, BatchResult, IncomingMessage, dead_letter
from streams.settings import Settings

log = logging.getLogger(__name__)

# A sentence with a person, an organisation, a place, a quote and a stance: every stage runs on it.
WARM_UP_TEXT = (
    'Chancellor Olaf Scholz said on Monday in Berlin that Germany "strongly supports" the European '
    "Commission's plan, while the opposition rejected it."
)

AlreadySeen = Callable[[str], Any]


def build_processor(settings: Settings) -> BatchProcessor:
    from streams.enrich.pipeline import Enricher
    from streams.ingest import RawArticleDecoder

    return BatchProcessor(
        RawArticleDecoder.from_settings(settings),
        Enricher.from_settings(settings),
        max_payload_bytes=settings.deadletter_payload_max_bytes,
        chunk_chars=settings.enrich_chunk_chars,
    )


def warm(processor: BatchProcessor) -> str:
    """One short article through every stage: what loads or allocates on first use does it now, not
    in the first batch after a restart. Returns a description of the loaded models."""
    from streams.models import RawArticle

    started = time.perf_counter()
    processor.enricher.enrich_batch([RawArticle("warm-up", WARM_UP_TEXT)])
    log.info("enrichment warmed up in %.1fs: %s", time.perf_counter() - started, processor.enricher.models)
    return str(processor.enricher.models)


class EnrichRunner(Protocol):
    def start(self) -> None:
        """Load the models now (in the background), not on the first batch; again: nothing."""

    async def process(self, messages: list[IncomingMessage], already_seen: AlreadySeen) -> BatchResult: ...

    def close(self) -> None: ...


class ThreadRunner:
    """Enrichment on one side thread of the worker: the event loop stays responsive (heartbeats,
    /healthz, producer flushes) while a batch is parsed, but both share the GIL."""

    def __init__(self, settings: Settings, processor: BatchProcessor | None = None) -> None:
        self.settings = settings
        self._processor = processor
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enrich")
        self._warming: Future[Any] | None = None

    def processor(self) -> BatchProcessor:
        if self._processor is None:  # load the models once per worker, on first use
            self._processor = build_processor(self.settings)
        return self._processor

    def start(self) -> None:
        if self._warming is None:
            self._warming = self._executor.submit(lambda: warm(self.processor()))

    async def process(self, messages: list[IncomingMessage], already_seen: AlreadySeen) -> BatchResult:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, lambda: self.processor().process(messages, already_seen)
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# -- the child process ----------------------------------------------------------------------------

_child_processor: BatchProcessor | None = None
_child_error: str | None = None  # why the models did not load: said on every batch, not a crash loop


def _child_start(settings: Settings, log_level: str) -> None:
    """Runs once in the child: logging, a watch on the worker, the models."""
    global _child_processor, _child_error
    logging.basicConfig(
        level=log_level.upper(),
        format="[%(asctime)s] [%(process)d] [%(levelname)s] enrich process: %(name)s: %(message)s",
    )
    parent = multiprocessing.parent_process()
    if parent is not None:
        # A worker killed with SIGKILL cannot stop its child, and the child would wait on its call
        # queue for ever (holding ~500 MB): it ends itself when the worker is gone.
        def exit_with_parent() -> None:
            parent.join()
            os._exit(0)

        threading.Thread(target=exit_with_parent, name="watch-worker", daemon=True).start()
    try:
        _child_processor = build_processor(settings)
    except Exception as exc:  # an exception here would break the pool, and look like a crash
        log.exception("the enrichment models did not load")
        _child_error = f"the enrichment models did not load: {type(exc).__name__}: {exc}"


def _loaded() -> BatchProcessor:
    if _child_processor is None:
        raise RuntimeError(_child_error or "the enrichment process did not start")
    return _child_processor


def _child_warm() -> str:
    return warm(_loaded())


def _child_process(messages: list[IncomingMessage], marks: dict[str, Any]) -> BatchResult:
    return _loaded().process(messages, marks.get)


def _child_pid() -> int:
    return os.getpid()


class ProcessRunner:
    """Enrichment in one child process, started with ``spawn`` (a fork of a process that runs an
    event loop, Kafka clients and threads is not safe) and restarted when it dies."""

    def __init__(
        self,
        settings: Settings,
        work: Callable[[list[IncomingMessage], dict[str, Any]], BatchResult] | None = None,
    ) -> None:
        self.settings = settings
        # What the child runs on a batch: ``_child_process``; a test may hand in another module-level
        # function (one that kills the child on a given message, say).
        self._work = work or _child_process
        self._executor: ProcessPoolExecutor | None = None
        self._warming: Future[Any] | None = None  # the current child's warm-up
        self._children: list[Any] = []
        self.restarts = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_start,
                initargs=(self.settings, self.settings.log_level),
            )
        return self._executor

    def _restart(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None
        self._warming = None
        self.restarts += 1
        self.start()

    def start(self) -> None:
        if self._warming is None:
            self._warming = self._pool().submit(_child_warm)

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        pool = self._pool()
        future = pool.submit(fn, *args)
        # The child's process handle, to say how it ended should it die (diagnostics only: the pool
        # does not tell, and forgets its processes once broken).
        self._children = list(getattr(pool, "_processes", {}).values())
        return await asyncio.wrap_future(future)

    async def child_pid(self) -> int:
        return int(await self._run(_child_pid))

    @staticmethod
    def marks_for(messages: list[IncomingMessage], already_seen: AlreadySeen) -> dict[str, Any]:
        """The dedup marks of the batch's article ids (only those that have one)."""
        marks: dict[str, Any] = {}
        for message in messages:
            article_id = article_id_of(message.value)
            if article_id is not None and article_id not in marks:
                mark = already_seen(article_id)
                if mark:
                    marks[article_id] = mark
        return marks

    async def process(self, messages: list[IncomingMessage], already_seen: AlreadySeen) -> BatchResult:
        marks = self.marks_for(messages, already_seen)
        try:
            result: BatchResult = await self._run(self._work, messages, marks)
            return result
        except BrokenProcessPool:
            log.error(
                "the enrichment process died under a batch of %d; again one message at a time",
                len(messages),
            )
            self._restart()
        result = BatchResult()
        for message in messages:
            try:
                part: BatchResult = await self._run(self._work, [message], marks)
            except BrokenProcessPool:
                exit_code = self._exit_code()
                self._restart()
                part = self._crashed(message, exit_code)
            result.extend(part)
            # A later copy of the same id in this batch is a duplicate (or a conflict) of this one.
            for article_id, digest in part.body_hashes.items():
                marks[article_id] = {"body_sha256": digest}
        return result

    def _exit_code(self) -> int | None:
        for child in self._children:
            child.join(timeout=2)
            if child.exitcode is not None:
                return int(child.exitcode)
        return None

    def _crashed(self, message: IncomingMessage, exit_code: int | None) -> BatchResult:
        how = f"exit code {exit_code}" if exit_code is not None else "no exit code"
        if exit_code is not None and exit_code < 0:
            how = f"killed by signal {-exit_code}" + (" (e.g. out of memory)" if exit_code == -9 else "")
        error = InvalidArticle(
            "enrichment_failed",
            f"the enrichment process died while enriching this article alone ({how})",
            article_id=article_id_of(message.value),
        )
        letter = dead_letter(message, error, max_payload_bytes=self.settings.deadletter_payload_max_bytes)
        log.error("dead-lettered %s[%s]@%s: %s", message.topic, message.partition, message.offset, error)
        return BatchResult(dead=[(message, letter)])

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def runner_for(settings: Settings) -> EnrichRunner:
    if settings.enrich_in == "thread":
        return ThreadRunner(settings)
    return ProcessRunner(settings)
