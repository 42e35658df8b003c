"""The LLM coach for OpenAI-compatible servers: client, request shapes, failures, grounding, re-ranking, eval.

`client` is the one place that builds a chat model; `prompts` reads prompts/*.md; `replies` holds the
answer schemas; `shapes` says how a schema is sent (json_schema, json_object with schema, a forced
function, plain) and reads answers back; `structured` asks shape by shape with one repair, and `memory`
remembers per server and model which shape worked; `failures` tells capability gaps from outages and types
every failure; `retry` says which failed requests are sent again; `breaker` stops calls to a failing server; `fence` keeps untrusted text inert on the way in;
`grounding` drops model-written sentences naming people outside the task; `report` collects what each call
did; `engine` runs the coaching tasks (`intro` drafts the intro message); `rerank` grounds a batched re-rank in the offline candidates;
`evaluation` is `coach eval --llm`. May import `coach.models`, `coach.errors`, `coach.config`,
`coach.agenda`, `coach.matching` and `vectorstore`; never the service or the web app.
"""
