"""The Gradio web app: one module per tab, the shared context, per-session state and rendering.

The only package that imports gradio. `app` composes the page (header, the six tabs, their events) and
`launch` serves it (queue limits, upload limit, login, theme). `tabs/` holds one module per tab (`chat`,
`people`, `agenda`, `intro`, `journal`, `profiles`), each with that tab's layout, handlers and wiring.
`context` holds what every tab shares (service, settings, journal, the user, errors to toasts); `session`
one browser session's state and form parsing (no Gradio); `render` and `cards` turn results into Markdown
and escaped HTML; `history` normalises chat history. May import the service and everything below it;
nothing imports this package but the composition root.
"""
