"""Rows <-> journal entries: the statements every journal action is made of, each scoped to one user_id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, select
from sqlalchemy import insert as sql_insert
from sqlalchemy.exc import IntegrityError

from coach.errors import CoachInputError
from coach.journal.database import JournalError
from coach.journal.portable import JournalEntries, JournalSnapshot
from coach.journal.schema import TABLES
from coach.models import CoffeeChat, Question, Referral, Takeaway, Wish

LOCAL_USER = "local"
Entry = TypeVar("Entry", bound=BaseModel)
TABLE_OF: dict[type[BaseModel], str] = {
    Wish: "wishes",
    Question: "questions",
    CoffeeChat: "chats",
    Takeaway: "takeaways",
    Referral: "referrals",
}


class JournalInputError(JournalError, CoachInputError):
    """An entry cannot be saved as given (empty, too long, wrong chat)."""


class JournalNotFound(JournalError):
    """The entry does not exist in this user's journal."""


def user(user_id: str) -> str:
    if not user_id.strip():
        raise JournalInputError(f"user_id is empty; use {LOCAL_USER!r} when there is no sign-in")
    return user_id


def entry(model: type[Entry], **fields: object) -> Entry:
    """Validate a new entry (id 0 until saved) so bad input fails before it reaches the database."""
    try:
        return model.model_validate({"id": 0, "uid": str(uuid.uuid4()), **fields})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise JournalInputError(f"cannot save this {model.__name__.lower()}: {problems}") from exc


def snapshot(conn: Connection, user_id: str) -> JournalSnapshot:
    """All of one user's entries, in the caller's transaction."""
    lists = [list_entries(conn, model, user_id) for model in TABLE_OF]
    return JournalSnapshot(*lists)  # type: ignore[arg-type]


def insert(conn: Connection, table: str, user_id: str, values: dict[str, object]) -> int:
    result = conn.execute(sql_insert(TABLES[table]).values(user_id=user_id, **values))
    key = result.inserted_primary_key
    return int(key[0]) if key is not None and key[0] is not None else 0


def save(conn: Connection, user_id: str, entry: Entry) -> Entry:
    values = entry.model_dump(exclude={"id", "question_ids"})
    try:
        entry_id = insert(conn, TABLE_OF[type(entry)], user_id, values)
    except IntegrityError as exc:
        raise JournalInputError(f"cannot save this {type(entry).__name__.lower()}: {exc.orig}") from exc
    if isinstance(entry, CoffeeChat):
        link(conn, user_id, entry_id, entry.question_ids)
    return entry.model_copy(update={"id": entry_id})


def list_entries(conn: Connection, model: type[Entry], user_id: str, *where: Any) -> list[Entry]:
    table = TABLES[TABLE_OF[model]]
    query = select(table).where(table.c.user_id == user(user_id), *where).order_by(table.c.id)
    rows = [dict(row) for row in conn.execute(query).mappings()]
    if model is CoffeeChat:
        links: dict[int, list[int]] = {}
        cq = TABLES["chat_questions"]
        linked = select(cq.c.chat_id, cq.c.question_id).where(cq.c.user_id == user_id)
        for chat_id, question_id in conn.execute(linked.order_by(cq.c.chat_id, cq.c.question_id)):
            links.setdefault(chat_id, []).append(question_id)
        rows = [{**row, "question_ids": links.get(row["id"], [])} for row in rows]
    return [model.model_validate({k: v for k, v in row.items() if k != "user_id"}) for row in rows]


def get(conn: Connection, model: type[Entry], user_id: str, entry_id: int) -> Entry:
    found = list_entries(conn, model, user_id, TABLES[TABLE_OF[model]].c.id == entry_id)
    if not found:
        raise JournalNotFound(
            f"{TABLE_OF[model]} has no entry {entry_id} for this user; pick one from the list"
        )
    return found[0]


def require(conn: Connection, model: type[BaseModel], user_id: str, ids: Iterable[int | None]) -> None:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return
    table = TABLES[TABLE_OF[model]]
    query = select(table.c.id).where(table.c.user_id == user_id, table.c.id.in_(sorted(wanted)))
    found = set(conn.execute(query).scalars())
    if missing := sorted(wanted - found):
        raise JournalNotFound(
            f"{TABLE_OF[model]} {missing} are not in this user's journal; refresh and pick again"
        )


def link(conn: Connection, user_id: str, chat_id: int, question_ids: Iterable[int]) -> None:
    cq = TABLES["chat_questions"]
    wanted = list(dict.fromkeys(question_ids))
    require(conn, Question, user_id, wanted)
    have = set(conn.execute(select(cq.c.question_id).where(cq.c.chat_id == chat_id)).scalars())
    rows = [{"user_id": user_id, "chat_id": chat_id, "question_id": q} for q in wanted if q not in have]
    if rows:
        conn.execute(sql_insert(cq), rows)


def insert_entries(conn: Connection, user_id: str, new: JournalEntries) -> None:
    """Insert records parents first, turning uid references into this database's ids."""
    ids: dict[str, dict[str, int]] = {}
    for name in ("wishes", "chats", "questions"):
        table = TABLES[name]
        rows = conn.execute(select(table.c.uid, table.c.id).where(table.c.user_id == user_id))
        ids[name] = {uid: entry_id for uid, entry_id in rows}

    def add(table: str, record: BaseModel, wish_uid: str | None = None, chat_uid: str | None = None) -> None:
        values = record.model_dump(exclude={"wish_uid", "chat_uid", "question_uids"})
        refs = {"wish_id": ("wishes", wish_uid), "chat_id": ("chats", chat_uid)}
        values |= {column: ids[t][uid] for column, (t, uid) in refs.items() if uid is not None}
        ids.setdefault(table, {})[str(values["uid"])] = insert(conn, table, user_id, values)

    for wish in new.wishes:
        add("wishes", wish)
    for chat in new.chats:
        add("chats", chat)
    for question in new.questions:
        add("questions", question, question.wish_uid, question.chat_uid)
    for chat in new.chats:
        link(conn, user_id, ids["chats"][chat.uid], [ids["questions"][uid] for uid in chat.question_uids])
    for takeaway in new.takeaways:
        add("takeaways", takeaway, chat_uid=takeaway.chat_uid)
    for referral in new.referrals:
        add("referrals", referral, chat_uid=referral.chat_uid)
