"""The learning journal: store, schema and migrations, import/export, timeline and what next.

`store` keeps each user's wish -> question -> coffee chat loop (every query scoped per user);
`schema` is its ordered migrations; `portable` the JSON and Markdown formats; `timeline` the
chronological view; `whatnext` suggests the next question, grounded in the index. May import
`coach.models`, `coach.errors` and `vectorstore`; never the service or the web app.
"""

from coach.journal.store import Journal, JournalError

__all__ = ["Journal", "JournalError"]
