"""The LLM coach for OpenAI-compatible servers: client, prompts and replies, fencing, re-ranking, LLM eval.

`client` is the one place that builds a chat model; `prompts` reads prompts/*.md; `replies` holds the
answer schemas; `fence` keeps untrusted text inert on the way in and checks model text on the way out;
`engine` runs the coaching tasks; `rerank` grounds a batched re-rank in the offline candidates;
`breaker` stops calls to a failing server; `evaluation` is `coach eval --llm`. May import
`coach.models`, `coach.errors`, `coach.config`, `coach.agenda`, `coach.matching` and `vectorstore`;
never the service or the web app.
"""
