"""The deterministic offline coach: reading a wish, the question bank, writing questions and intro wording.

Owns everything the coach does without a model: `wish`, `rules` and `subject_finder` read a wish, `subject`
says what its subject is (field, industry, role, skill, topic) and which template slots that kind fills,
`vocabulary` knows English words, fixes misspellings and suggests spellings, `language` names the language
of a wish that is not English, `bank` and `lexicon` hold the curated data from
prompts/, `writer` turns a reading into learning questions, `seams` finds the marks of a template engine (the
writer skips a template that has one; the question-quality check counts them), `steps` decides between a
clarifying question and questions, `requester` words the person's own one-line introduction, `intro`,
`intro_wording` and `grounding` word messages, and `engine` exposes it all as an `Engine`. May import
`coach.models`, `coach.errors`, `coach.agenda`, `coach.clauses` and `vectorstore.models`; nothing here
imports the service, the LLM package, the journal or the web app.
"""
