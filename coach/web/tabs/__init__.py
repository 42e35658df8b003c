"""One module per tab, each holding that tab's layout, its handlers and its event wiring.

Each module has a frozen dataclass of the tab's components, `layout(...)` (called inside `gr.Tabs`, in tab
order), a handlers class bound to the shared `WebContext`, and `wire(...)`, which connects the tab's events,
taking the components of other tabs it reads or updates as arguments. Tabs may import `people` (the expert
picker the others act on) and the modules of `coach.web`; nothing else imports a tab but `coach.web.app`.
"""
