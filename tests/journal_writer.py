"""Write journal entries until killed, printing "<kind> <uid>" after each commit (for the kill test)."""

from __future__ import annotations

import sys

from coach.journal.store import LOCAL_USER, Journal
from coach.models import QuestionSource, ReferralIn

SAFETY_LIMIT = 100_000


def main(path: str) -> None:
    with Journal.open(path) as journal:
        for n in range(SAFETY_LIMIT):
            wish = journal.add_wish(LOCAL_USER, f"wish {n}")
            print("wishes", wish.uid, flush=True)
            question = journal.add_question(
                LOCAL_USER, f"question {n}", source=QuestionSource.coach, wish_id=wish.id
            )
            print("questions", question.uid, flush=True)
            chat = journal.log_chat(
                LOCAL_USER,
                expert_id=f"expert-{n % 7}",
                expert_name=f"Expert {n % 7}",
                happened=True,
                takeaways=[f"takeaway {n}"],
                referrals=[ReferralIn(name=f"person {n}")],
                new_questions=[f"follow-up {n}"],
                question_ids_covered=[question.id],
            )
            print("chats", chat.uid, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
