"""`videobot --playground`: try the bot in a browser with no accounts. One process runs the stand-in
Discord (fakediscord), the video API simulator, the real bot pointed at them through its normal settings,
and a small Discord-like web client of the stand-in.

Nothing in bot/ or cogs/ imports this package (import-linter holds that); it sits on top of them.
"""
