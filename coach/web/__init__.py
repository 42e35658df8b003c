"""The Gradio web app: one module per tab, the shared context, per-session state, rendering, files.

The only package that imports gradio. `app` composes the page (header, the six tabs, their events) and
`launch` serves it (queue limits, upload limit, login, theme). `tabs/` holds one module per tab (`chat`,
`people`, `agenda`, `intro`, `journal`, `profiles`), each with that tab's layout, handlers and wiring.
`context` holds what every tab shares (service, settings, journal, the user) and the edge where errors
become toasts (`handler`, `user_error`, `notify`); `session` one browser session's state and form
parsing; `escaping` is the one path from untrusted text to Markdown, HTML and toasts, which `render`
(Markdown), `cards` (HTML) and `report` (the import report) use; `files` keeps the files handed to the
browser private and bounded; `history` normalises chat history. Only `app`, `launch`, `context` and
`tabs/` import gradio. May import the service and everything below it; nothing imports this package but
the composition root.
"""
