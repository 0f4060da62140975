"""discord.py extensions: one per engine, plus the scheduler and the coaches' commands.

Cogs are thin: they turn Discord events into calls on `bot/` and `bot/` results into replies.
No SQL and no scheduling decisions live here.
"""
