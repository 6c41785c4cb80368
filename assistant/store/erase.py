"""Erasing for real: the rows, every copy of their text, and every old version on disk.

A LanceDB `delete()` only marks rows; the text stays in the data files, in earlier
versions and in deletion files until compaction and cleanup. And a text is copied
further than its own row: a reply keeps the JSON of the context it was given (which
quotes memories and recalled messages), a feedback signal keeps that context too, and a
"supersede" event names the memory that replaced it, and a reply may have copied a
memory it was given into its own text. Erasing removes or rewrites all of those, then
compacts every table it touched and drops all old versions at once.
"""

import json
from collections.abc import Iterable, Sequence

from assistant.core.learning.echo import erase_quotes
from assistant.core.records import source_fingerprint
from assistant.core.reply_context import ReplyContext
from assistant.store.lance_db import (
    CONVERSATIONS,
    MEMORIES,
    MEMORY_EVENTS,
    MESSAGE_INDEX,
    MESSAGES,
    META,
    SIGNALS,
    LanceDatabase,
    quote,
    schemas,
)

DELETED_SUCCESSOR = "replaced by a memory that was later deleted"
# META rows under this key hold `source_fingerprint`s of the messages a deleted memory was
# learned from, so that importing the same history again does not bring it back.
FORGOTTEN_SOURCE = "forgotten_source"
BATCH = 500  # ids per `IN (...)` filter


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(quote(v) for v in sorted(values))})"


def scrub_context(
    context: str,
    memory_ids: set[str],
    conversation_ids: set[str],
    texts: Iterable[str] = (),
) -> str:
    """A stored context JSON without what quotes erased memories or conversations
    (the record's own rule: `ReplyContext.without_erased`)."""
    return ReplyContext.without_erased(context, memory_ids, conversation_ids, texts)


def erase_reply_quotes(
    db: LanceDatabase, replies: Sequence[tuple[str, str, list[str]]], content: bool = True
) -> set[str]:
    """Rewrite replies, and their search-index rows, without their quotes of erased texts.

    `replies` are (message id, content, the erased texts its own turn was given): a
    reply that copied a removed document or a forgotten memory keeps that text on disk
    otherwise. Each quote becomes `ERASED` (see echo.py). Without `content` only the
    index rows change (the text changed but is not erased: the user still sees the
    reply as written, recall no longer offers the old text). Returns the tables
    changed, for the caller to purge.
    """
    erased = {message_id: texts for message_id, _, texts in replies}
    touched: set[str] = set()
    for message_id, text, texts in replies if content else ():
        rewritten = erase_quotes(text, texts)
        if rewritten != text:
            with db.writing(MESSAGES) as table:
                table.update(where=f"id = {quote(message_id)}", values={"content": rewritten})
            touched.add(MESSAGES)
    ids = sorted(erased)
    for start in range(0, len(ids), BATCH):
        where = _in("id", ids[start : start + BATCH])
        indexed = db.table(MESSAGE_INDEX).search().where(where).select(["id", "text"])
        for row in indexed.limit(None).to_list():
            rewritten = erase_quotes(row["text"], erased[row["id"]])
            if rewritten != row["text"]:
                with db.writing(MESSAGE_INDEX) as table:
                    table.update(where=f"id = {quote(row['id'])}", values={"text": rewritten})
                touched.add(MESSAGE_INDEX)
    return touched


def outdate_quotes(db: LanceDatabase, memory_id: str, text: str) -> None:
    """A superseded memory's old text leaves the index rows of the replies given it.

    At indexing, a reply loses only runs of 5+ words copied from its prompt (echo.py);
    once the memory is no longer true, shorter quotes of it go too, and so do the
    copies in rows indexed before that rule existed.
    """
    needle = quote("%" + memory_id + "%")
    rows = db.table(MESSAGES).search().where(f"context LIKE {needle}").select(["id"])
    given = [(row["id"], "", [text]) for row in rows.limit(None).to_list()]
    erase_reply_quotes(db, given, content=False)


def _quotes(context: str, memory_ids: set[str], texts: set[str]) -> bool:
    """Whether a stored context shows an erased memory (by id, or its text in the prompt)."""
    return any(i in context for i in memory_ids) or any(
        t in context or json.dumps(t)[1:-1] in context for t in texts
    )


def _scrub_contexts(
    db: LanceDatabase,
    table: str,
    memory_ids: set[str],
    conversation_ids: set[str],
    texts: set[str],
) -> set[str]:
    """Rewrite the `context` column of rows that quote what is being erased, and the
    replies (with their index rows) that copied an erased memory; returns the tables
    changed."""
    needles = memory_ids | conversation_ids | texts
    if not needles:
        return set()
    mentions = " OR ".join(f"context LIKE {quote('%' + n + '%')}" for n in sorted(needles))
    columns = ["id", "context", "content"] if table == MESSAGES else ["id", "context"]
    rows = db.table(table).search().where(mentions).select(columns).limit(None)
    changed: set[str] = set()
    copied: list[tuple[str, str, list[str]]] = []
    for row in rows.to_list():
        if table == MESSAGES and texts and _quotes(row["context"], memory_ids, texts):
            copied.append((row["id"], row["content"], sorted(texts)))
        scrubbed = scrub_context(row["context"], memory_ids, conversation_ids, texts)
        if scrubbed != row["context"]:
            with db.writing(table) as writable:
                writable.update(where=f"id = {quote(row['id'])}", values={"context": scrubbed})
            changed.add(table)
    return changed | erase_reply_quotes(db, copied)


def erase(db: LanceDatabase, memory_ids: Iterable[str], conversation_ids: Iterable[str]) -> None:
    """Delete memories and conversations with everything derived from them, then purge.

    For memories: their rows, their events, the signals that created them, the
    "replaced by" text in events of memories they superseded, and their entries in
    stored contexts. For conversations: the conversation, its messages, its search
    index rows, its signals, and quotes of its messages in other replies' contexts.
    """
    mids, cids = set(memory_ids), set(conversation_ids)
    if not mids and not cids:
        return
    touched: set[str] = set()
    with db.lock:
        rows = db.rows(MEMORIES, _in("id", mids)) if mids else []
        texts = {r["text"] for r in rows}
        if mids:
            _remember_forgotten_sources(db, {i for r in rows for i in r["source_ids"] or ()})
            db.table(MEMORIES).delete(_in("id", mids))
            db.table(MEMORY_EVENTS).delete(_in("memory_id", mids))
            with db.writing(MEMORY_EVENTS) as table:
                table.update(
                    where=_in("detail", mids), values={"reason": DELETED_SUCCESSOR, "detail": ""}
                )
            db.table(SIGNALS).delete(_in("memory_id", mids))
            touched |= {MEMORIES, MEMORY_EVENTS, SIGNALS}
        if cids:
            db.table(CONVERSATIONS).delete(_in("id", cids))
            db.table(MESSAGES).delete(_in("conversation_id", cids))
            db.table(MESSAGE_INDEX).delete(_in("conversation_id", cids))
            db.table(SIGNALS).delete(_in("conversation_id", cids))
            touched |= {CONVERSATIONS, MESSAGES, MESSAGE_INDEX, SIGNALS}
        for table in (MESSAGES, SIGNALS):
            touched |= _scrub_contexts(db, table, mids, cids, texts)
        db.purge(*sorted(touched))


def _remember_forgotten_sources(db: LanceDatabase, message_ids: set[str]) -> None:
    """Fingerprint the messages deleted memories came from (never their text)."""
    known = {r["value"] for r in db.rows(META, f"key = {quote(FORGOTTEN_SOURCE)}")}
    fresh = sorted({source_fingerprint(i) for i in message_ids} - known)
    if fresh:
        with db.writing(META) as table:
            table.add([{"key": FORGOTTEN_SOURCE, "value": f} for f in fresh])


def erase_everything(db: LanceDatabase) -> None:
    """Delete every row of every table (the schema version stays), then purge.

    Every table means the indexed documents too: "forget everything" leaves nothing
    the user gave the app behind, and a table added later is covered without an edit.
    """
    with db.lock:
        tables = [name for name in schemas() if name != META]
        for table in tables:
            db.table(table).delete("true")
        # A fresh start: what was forgotten before may be learned again.
        db.table(META).delete(f"key = {quote(FORGOTTEN_SOURCE)}")
        db.purge(*tables, META)
