"""The learning journal: each user's wish -> question -> coffee chat loop, sent asks, and insights.

`database` is the engine (SQLite by default, PostgreSQL for several instances), transactions, migrations
and the cross-instance lock; `schema` the tables and their versioned migrations; `rows` the per-user
statements; `store` the journal's actions (each one transaction, every query scoped per user);
`portable` the JSON and Markdown formats; `timeline` the chronological view; `whatnext` the next
question, grounded in the index; `insights` and `charts` the people team's aggregates. May import
`coach.models`, `coach.errors` and `vectorstore`; never the service or the web app.
"""

from coach.journal.store import Journal, JournalError

__all__ = ["Journal", "JournalError"]
