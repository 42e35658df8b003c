"""The deterministic offline coach: reading a wish, the question bank, writing questions and intro wording.

Owns everything the coach does without a model: `wish` and `rules` read a wish, `bank` and `lexicon`
hold the curated data from prompts/, `writer` turns a reading into learning questions, `steps` decides
between a clarifying question and questions, `intro` words messages, and `engine` exposes it all as an
`Engine`. May import `coach.models`, `coach.errors`, `coach.agenda` and `vectorstore.models`; nothing
here imports the service, the LLM package, the journal or the web app.
"""
