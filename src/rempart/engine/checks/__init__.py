"""Check families: one module each, an ``async def run(target, ctx)`` returning observations."""
