"""The Gradio web app: layout, event handlers, per-session state and rendering.

The only package that imports gradio. `app` lays out the tabs and wires events to handlers, `session`
holds one browser session's state and form parsing (no Gradio), `render` and `cards` turn results into
Markdown and escaped HTML, `history` normalises chat history. May import the service and everything
below it; nothing imports this package but the composition root.
"""
